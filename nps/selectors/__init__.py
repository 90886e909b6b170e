"""Reads of the NPS app, one module per part (``reports``, ``invitations``, ``advocates``)."""
