"""Reminders: patient visit reminders and daily nurse digests by e-mail, as rows.

Rows. ``reminder`` (one per assessment and kind: UNIQUE(assessment_id, kind)) and
``nurse_digest`` (one per nurse and day: UNIQUE(user_id, digest_date)) carry a state:

    pending -> sending -> sent
                      -> pending (refused/error, retry after back-off)
                      -> failed  (refused/error on the REMINDER_MAX_ATTEMPTS-th attempt)
                      -> unknown (connection lost during DATA, or claim abandoned)
    pending -> cancelled (assessment completed/not done/moved past, consent gone ...)

``delivery_attempt`` logs every attempt: when, to whom, subject, Message-ID, outcome.

Send/mark protocol -- at most once, enforced by the database:

1. Plan: INSERT ... ON CONFLICT DO NOTHING; the unique keys make planning idempotent.
2. Claim: ``UPDATE ... SET state='sending', claim_token=T, claimed_at=now,
   attempts=attempts+1 WHERE id=? AND state='pending' AND next_attempt_at due AND
   <still wanted>``; COMMIT. Only the process whose UPDATE matched one row goes on.
3. Send over SMTP, outside any transaction. Message-ID ``<reminder-ID@domain>`` /
   ``<digest-ID@domain>`` is derived from the row, so a duplicate would be visible.
4. Mark: ``UPDATE ... WHERE id=? AND claim_token=T`` to sent / pending+back-off /
   failed / unknown, with the attempt logged in the same transaction; COMMIT.
5. A row still 'sending' after the claim lease (REMINDER_CLAIM_LEASE_MINUTES, 15)
   belongs to a process that died between 2 and 4: whether the server took the
   message is unknown, so it becomes 'unknown' and is shown to staff, never re-sent.

A crash can therefore lose an e-mail (visibly: 'unknown' row) but never duplicate one.
Staff may send a 'failed' row again from /reminders; an 'unknown' one only by hand.
See docs/reminders.md for operations (the scheduler process beside gunicorn).
"""

from clinic.reminders.planning import reconcile_patient_reminders, reconcile_reminders
from clinic.reminders.queries import next_reminder_for_patient

__all__ = ["next_reminder_for_patient", "reconcile_patient_reminders", "reconcile_reminders"]
