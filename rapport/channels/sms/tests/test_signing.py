"""The providers' own signature examples (REFERENCE.md appendix) reproduce exactly."""

from rapport.channels.sms.signing import aliyun_signature, percent_encode, tc3_sign

SEND_SMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_send_sms_example():
    assert aliyun_signature(SEND_SMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_describe_regions_example():
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun_signature(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aliyun_key_casing_matters():
    # The two official examples use different key casing; mixing them up "fails".
    assert aliyun_signature(SEND_SMS, "testsecret") != "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_percent_encoding_is_rfc3986():
    assert percent_encode("a b*c~d+e/") == "a%20b%2Ac~d%2Be%2F"


def test_tencent_tc3_documentation_example():
    payload = (
        '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    signed = tc3_sign(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        timestamp=1551113065,
        payload=payload,
    )
    assert signed.payload_hash == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert signed.canonical_request == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n"
        "\ncontent-type;host\n" + signed.payload_hash
    )
    assert signed.canonical_request_hash == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert signed.string_to_sign.startswith("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/")
    assert signed.signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    assert signed.authorization.endswith("Signature=" + signed.signature)


def test_tencent_date_is_utc_not_beijing():
    # 2019-02-25 23:30 UTC is already the 26th in Beijing; the scope must say the 25th.
    signed = tc3_sign(
        secret_id="x",
        secret_key="y",
        service="sms",
        host="sms.tencentcloudapi.com",
        timestamp=1551137400,
        payload="{}",
    )
    assert "\n2019-02-25/sms/tc3_request\n" in signed.string_to_sign
