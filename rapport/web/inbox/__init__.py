"""The team inbox: conversations with customers that are not (yet) tickets, and the
administrators' quarantine and "simulate an inbound message" pages.

It lives in `web` because it brings channels and tickets together on one page (the customer's
open tickets next to their message; "convert to ticket"); the rules stay in their services.
"""
