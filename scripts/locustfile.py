"""`make load`: service agents working a served Rapport — sign in once, then queues, customer
searches, the 360 page, tickets, their tasks, and the API (reads and interaction logging).

Environment: LOAD_USERS (comma-separated usernames), LOAD_PASSWORD, LOAD_TOKENS (one per user,
same order). Started by scripts/load.py."""

import itertools
import os
import random
import re

from locust import HttpUser, between, task

USERS = os.environ["LOAD_USERS"].split(",")
TOKENS = os.environ["LOAD_TOKENS"].split(",")
PASSWORD = os.environ["LOAD_PASSWORD"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_next = itertools.count()


class Agent(HttpUser):
    wait_time = between(1, 4)

    def on_start(self):
        n = next(_next) % len(USERS)
        self.token = {"Authorization": f"Bearer {TOKENS[n]}"}
        page = self.client.get("/login/", name="login page")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        self.client.post(
            "/login/",
            {
                "username": USERS[n],
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf.group(1) if csrf else "",
            },
            headers={"Referer": self.host + "/login/"},
            name="login",
        )
        customers = self.client.get(
            "/api/v1/customers?limit=200", headers=self.token, name="api customers"
        )
        tickets = self.client.get(
            "/api/v1/tickets?limit=200", headers=self.token, name="api tickets"
        )
        self.customer_ids = [c["id"] for c in _results(customers)] or [1]
        self.ticket_ids = [t["id"] for t in _results(tickets)] or [1]

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(4)
    def ticket_queue(self):
        self.client.get("/tickets/", name="ticket queue")

    @task(3)
    def ticket_page(self):
        self.client.get(f"/tickets/{random.choice(self.ticket_ids)}/", name="ticket page")

    @task(4)
    def customer_search(self):
        self.client.get(f"/customers/?q={random.choice(SURNAMES)}", name="customer search")

    @task(4)
    def customer_360(self):
        self.client.get(f"/customers/{random.choice(self.customer_ids)}/", name="customer 360")

    @task(2)
    def my_tasks(self):
        self.client.get("/tasks/", name="my tasks")

    @task(2)
    def api_customers(self):
        self.client.get(
            f"/api/v1/customers?q={random.choice(SURNAMES)}",
            headers=self.token,
            name="api customers",
        )

    @task(2)
    def api_tickets(self):
        self.client.get("/api/v1/tickets?limit=25", headers=self.token, name="api tickets")

    @task(2)
    def api_ticket(self):
        self.client.get(
            f"/api/v1/tickets/{random.choice(self.ticket_ids)}",
            headers=self.token,
            name="api ticket",
        )

    @task(2)
    def api_timeline(self):
        customer = random.choice(self.customer_ids)
        self.client.get(
            f"/api/v1/interactions/customers/{customer}/timeline",
            headers=self.token,
            name="api timeline",
        )

    @task(2)
    def log_interaction(self):
        self.client.post(
            "/api/v1/interactions",
            json={
                "customer_id": random.choice(self.customer_ids),
                "channel": "phone",
                "direction": "inbound",
                "purpose": "information",
                "summary": "客户来电咨询保养周期，已告知。",
            },
            headers=self.token,
            name="api log interaction",
        )


def _results(response):
    try:
        return response.json().get("results", [])
    except (ValueError, AttributeError):
        return []
