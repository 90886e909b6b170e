"""Celery tasks of the NPS app: thin wrappers that take ids and call one service each.

Every task may run twice (acks_late, the sweeper): the services make that harmless. Each
part adds its tasks here; services import this module inside their functions (it imports
them back).
"""

from celery import shared_task


@shared_task(acks_late=True)
def catalogue_nps_comment(*, response_id: int) -> None:
    """An answer's comment into the feedback catalogue (or brought up to date there)."""
    from nps.services import answers

    answers.catalogue_comment(response_id=response_id)


@shared_task(acks_late=True)
def raise_advocate_cases() -> int:
    """Beat: brand advocates' open cases to the top priority (mutual respect)."""
    from nps.services import advocates

    return advocates.raise_advocate_cases()


@shared_task(acks_late=True)
def refresh_invitation_tallies() -> int:
    """Beat: recount the response-rate tallies of the months with new activity."""
    from nps.services import reports

    return reports.refresh_invitation_tallies()


@shared_task(acks_late=True)
def create_invitations() -> dict[str, int]:
    """Beat: invite whom each running survey asks now (set-based, throttled)."""
    from nps.services import invitations

    return invitations.create_invitations()


@shared_task(acks_late=True)
def dispatch_invitations() -> dict[str, list[int]]:
    """Beat: hand out what each survey may send this minute, in batches."""
    from nps.services import invitations

    handed = invitations.dispatch_invitations()
    return {slug: [done.invitations, done.reminders] for slug, done in handed.items()}


# Retries are bounded by the invitations themselves: each failure counts against the one
# that failed (FAILED after MAX_ATTEMPTS), so a batch's retries end.
@shared_task(bind=True, acks_late=True, max_retries=1000)
def send_invitations(self, *, invitation_ids: list[int], reminder: bool = False) -> int:
    """Email a batch of handed-out invitations (or their reminders), each at most once."""
    from nps.services import invitations

    try:
        return invitations.send_invitations(invitation_ids=invitation_ids, reminder=reminder,
                                             retries=self.request.retries)
    except invitations.RetryLater as later:
        raise self.retry(countdown=later.countdown, kwargs={
            "invitation_ids": later.remaining, "reminder": reminder}) from later
