"""Template tags that draw in one call what loops of nodes drew."""


def test_options_write_what_the_option_loops_wrote():
    from django.template import Context, Template

    loop = Template(
        '{% for value, label in choices %}<option value="{{ value }}"{% if sel == value %} '
        "selected{% endif %}>{{ label }}</option>{% endfor %}"
    )
    tag = Template("{% load rapport %}{% options choices sel %}")
    choices = [("", "—"), ("phone", "电话"), ("a&b", "<x>"), ("wechat", "微信")]
    for sel in ("", "phone", "a&b", None, "nope"):
        context = {"choices": choices, "sel": sel}
        assert tag.render(Context(context)) == loop.render(Context(context))

    class Row:
        def __init__(self, pk, text):
            self.pk, self.text = pk, text

        def __str__(self):
            return self.text

    rows = [Row(1, "咨询"), Row(2, "投诉 & <建议>")]
    by_pk = Template(
        '{% for p in rows %}<option value="{{ p.pk }}"{% if sel|stringformat:"s" == '
        'p.pk|stringformat:"s" %} selected{% endif %}>{{ p }}</option>{% endfor %}'
    )
    tag = Template("{% load rapport %}{% object_options rows sel %}")
    for sel in (1, "2", None, "", 3):
        context = {"rows": rows, "sel": sel}
        assert tag.render(Context(context)) == by_pk.render(Context(context))
