from rapport.channels.email.sanitize import sanitize_html


def test_scripts_styles_handlers_and_javascript_links_are_removed():
    html = (
        '<p onclick="steal()" style="color:red">您好<script>steal()</script><style>p{}</style>'
        '<a href="javascript:steal()">点我</a><a href="https://ok.example/">链接</a></p>'
        '<iframe src="https://x"></iframe><form><input></form>'
    )

    clean = sanitize_html(html, cid_urls={})

    assert clean == (
        '<p>您好<a rel="noopener noreferrer nofollow">点我</a>'
        '<a href="https://ok.example/" rel="noopener noreferrer nofollow">链接</a></p>'
    )


def test_cid_images_point_to_our_urls_and_remote_images_are_dropped():
    html = '<img src="cid:img001@qq.com" alt="照片"><img src="http://tracker.example/p.gif"><img src="data:image/png;base64,AAAA">'

    clean = sanitize_html(html, cid_urls={"<IMG001@qq.com>": "/channels/attachments/7/"})

    assert clean == '<img src="/channels/attachments/7/" alt="照片"><img><img>'


def test_unknown_cids_are_kept_for_a_later_rewrite_and_cleaning_is_idempotent():
    first = sanitize_html('<img src="cid:a@b"><p>x</p>', cid_urls={})

    assert first == '<img src="cid:a@b"><p>x</p>'
    assert sanitize_html(first, cid_urls={}) == first
    assert sanitize_html(first, cid_urls={"a@b": "/att/1"}) == '<img src="/att/1"><p>x</p>'


def test_empty_html():
    assert sanitize_html("", cid_urls={}) == ""
