"""The phone channel's pages: the incoming-call banner in the header, click-to-call from the 360
page, a new customer from an unknown caller, and "simulate a call" for the demo."""
