"""Reminders: patient visit reminders and daily nurse digests by e-mail, as rows.

Rows. ``reminder`` (one per assessment and kind: UNIQUE(assessment_id, kind)) and
``nurse_digest`` (one per nurse and day: UNIQUE(user_id, digest_date)) carry a state:

    pending -> sending -> sent
                      -> pending (temporary: 4xx, timeout, no connection, line dropped
                                  before the final dot; retried after back-off)
                      -> failed  (permanent: 5xx to RCPT/DATA, unusable address, no
                                  SMTPUTF8 for a non-ASCII mailbox; or temporary on the
                                  REMINDER_MAX_ATTEMPTS-th attempt)
                      -> unknown (the whole message was handed over and no reply came,
                                  or the claim was abandoned)
    pending -> pending   (deferred, not claimed: the mail server was down this run)
    pending -> cancelled (assessment completed/not done/moved past, consent gone ...)

``delivery_attempt`` logs every attempt: when, to whom, subject, Message-ID, outcome.

Send/mark protocol -- at most once, enforced by the database:

1. Plan: INSERT ... ON CONFLICT DO NOTHING; the unique keys make planning idempotent.
2. Claim: ``UPDATE ... SET state='sending', claim_token=T, claimed_at=now,
   attempts=attempts+1 WHERE id=? AND state='pending' AND next_attempt_at due AND
   <still wanted>``; COMMIT. Only the process whose UPDATE matched one row goes on.
3. Send over SMTP, outside any transaction. Message-ID ``<reminder-ID@domain>`` /
   ``<digest-ID@domain>`` is derived from the row, so a duplicate would be visible.
   :func:`clinic.reminders.mail.send` never raises: every problem of one message
   (address, encoding, refusal, timeout, anything unexpected) becomes its outcome.
4. Mark: ``UPDATE ... WHERE id=? AND claim_token=T`` to sent / pending+back-off /
   failed / unknown, with the attempt logged in the same transaction; COMMIT. If that
   fails, the state alone is written; the run goes on with the next row either way.
5. A row still 'sending' after the claim lease (REMINDER_CLAIM_LEASE_MINUTES, 15)
   belongs to a process that died between 2 and 4: whether the server took the
   message is unknown, so it becomes 'unknown' and is shown to staff, never re-sent.

Circuit breaker: when the server itself fails (unreachable, silent for SMTP_TIMEOUT,
session refused), the rows not yet tried in this run are deferred, unclaimed and
without using up an attempt, to the back-off of the row that found the server down.

A crash can therefore lose an e-mail (visibly: 'unknown' row) but never duplicate one.
Every failed, unknown, retrying or deferred row is on /reminders with what to check
(:mod:`clinic.reminders.advice`); the nurse digest lists the site's patients whose
reminder did not arrive. Staff may send a 'failed' row again, an 'unknown' one once the
mail server's log shows it was not received.
See docs/reminders.md for operations (the scheduler process beside gunicorn).
"""

from clinic.reminders.planning import reconcile_patient_reminders, reconcile_reminders
from clinic.reminders.queries import next_reminder_for_patient

__all__ = ["next_reminder_for_patient", "reconcile_patient_reminders", "reconcile_reminders"]
