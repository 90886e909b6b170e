"""Writes of the NPS app, one module per part: ``surveys`` and ``invitations`` (who is
asked, the emails), ``answers`` (the customer's answer from the link), ``advocates``
(promoters the company cultivates). Import the module you need:
``from nps.services import answers``."""
