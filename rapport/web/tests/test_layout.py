"""Pieces every page shares: the icon browsers show in the tab."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_staff_and_public_pages_name_their_icon_and_favicon_ico_finds_it(agent):
    client = Client()
    client.force_login(agent)
    staff_page = client.get("/").content.decode()
    assert 'rel="icon"' in staff_page and "web/favicon.svg" in staff_page
    public = Client().get("/login/").content.decode()
    assert 'rel="icon"' in public
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("web/favicon-public.svg")
