from rapport.channels.tests.conftest import _media_in_tmp  # noqa: F401
from rapport.channels.wechat.tests.conftest import wecom  # noqa: F401
