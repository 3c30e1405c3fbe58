import pytest
from django.core.exceptions import ValidationError

from rapport.core.masking import mask_email, mask_id_number, mask_phone
from rapport.core.phones import display_phone, national_digits, normalize_phone
from rapport.core.text import pinyin_full, pinyin_initials


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+8613800138000", "138****8000"),
        ("13800138000", "138****8000"),
        ("+12025550143", "120****0143"),
        ("12345", "*2345"),
        ("123", "***"),
    ],
)
def test_mask_phone_keeps_first_three_and_last_four(raw, masked):
    assert mask_phone(raw) == masked


def test_mask_id_number_and_email():
    assert mask_id_number("110105198001011234") == "110***********1234"
    assert mask_id_number("12345") == "*****"
    assert mask_email("zhang.wei@qq.com") == "z***@qq.com"


@pytest.mark.parametrize(
    "raw", ["138 0013 8000", "+86 138-0013-8000", "8613800138000", "(138) 0013 8000"]
)
def test_normalize_phone_gives_e164_for_chinese_mobiles(raw):
    assert normalize_phone(raw) == "+8613800138000"


def test_normalize_phone_keeps_landlines_and_foreign_numbers():
    assert normalize_phone("010-6552 9988") == "+861065529988"
    assert normalize_phone("+1 202 555 0143") == "+12025550143"


@pytest.mark.parametrize("raw", ["", "abc", "123", "1380013800099999"])
def test_normalize_phone_refuses_what_is_not_a_number(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_normalize_phone_refuses_overlong_input_with_the_limit():
    with pytest.raises(ValidationError) as exc:
        normalize_phone("1" * 40)
    assert "32" in exc.value.messages[0]


def test_display_and_national_digits():
    assert display_phone("+8613800138000") == "138 0013 8000"
    assert display_phone("+12025550143") == "+1 202-555-0143"
    assert national_digits("+8613800138000") == "13800138000"


def test_pinyin_of_chinese_and_english_names():
    assert pinyin_full("张伟") == "zhangwei"
    assert pinyin_initials("张伟") == "zw"
    assert pinyin_initials("重庆长安") == "cqca"  # polyphone 重 read chóng in a place name
    assert pinyin_initials("Anna Li") == "al"
