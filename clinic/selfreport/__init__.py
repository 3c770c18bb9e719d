"""Patients report their own follow-ups: a link per visit, reminders that stop.

The pieces:

* :mod:`.ladder` (pure) -- a study's reminder ladder: the invitation when a visit's
  window opens, reminders some days later, a call task for the nurse after that.
* :mod:`.tokens` (pure) -- the link's secret: 192 random bits, kept only as SHA-256.
* :mod:`.screens` and :mod:`.wording` (pure) -- what the patient is asked, one question
  per screen, in the patient's language (wording as TOML data).
* :mod:`.planning` -- which ``self_report_message`` rows should exist today; they are
  delivered by the reminders' claim/send/mark machinery (clinic.reminders.delivery),
  so each message goes out at most once and none goes out once the visit is completed,
  marked not done, the patient withdrawn or the window closed.
* :mod:`.service` -- opening a link, the optional date-of-birth check with lockout,
  keeping partial answers, and the submit that completes the visit (mode
  ``self_report``).
* :mod:`.status` -- what staff see: per visit (sent, opened, started) and per study.

A link is valid while its visit is pending and its window open; nothing else is
stored about its validity, so a nurse completing the visit, a withdrawal or a moved
window void it at once.
"""
