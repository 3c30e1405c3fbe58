import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
django_application = get_wsgi_application()

# The WeChat/WeCom message callbacks are answered in front of Django's request cycle
# (rapport.channels.wechat.ingress); every other request goes to Django.
from rapport.channels.wechat.ingress import CallbackIngress  # noqa: E402

application = CallbackIngress(django_application)
