"""The e-mails of the ladder: the invitation and the reminders, in the patient's language.

Each message carries a fresh link; its token is returned with the e-mail so that the
sender stores the token's hash before the e-mail leaves (clinic.reminders.delivery).
The e-mail names the patient's first name and the time since treatment, nothing about
the study, the procedure or any score.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from clinic.models import Assessment, PatientIdentity, SelfReportMessage, StudyTimepoint
from clinic.reminders.mail import Outgoing, message_id
from clinic.selfreport.ladder import LadderSpec
from clinic.selfreport.planning import ladder_specs
from clinic.selfreport.screens import minutes, screens
from clinic.selfreport.tokens import new_token, token_hash
from clinic.selfreport.visits import measures_for_patient
from clinic.selfreport.wording import wording


def first_name(name: str | None) -> str:
    parts = (name or "").split()
    return parts[0] if parts else ""


def ladder_email(session: Session, message: SelfReportMessage, *, domain: str,
                 public_url: str) -> tuple[Outgoing, str] | str:
    """(e-mail, token hash to store), or the reason it must not go out."""
    found = session.exec(
        select(Assessment, PatientIdentity, StudyTimepoint)
        .join(PatientIdentity, col(PatientIdentity.patient_id) == Assessment.patient_id)
        .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
        .where(Assessment.id == message.assessment_id)).first()
    if found is None:
        return "no contact data"
    assessment, identity, timepoint = found
    if not identity.self_report_consent:
        return "no consent to self-report"
    if not (identity.email or "").strip():
        return "no e-mail address"
    spec: LadderSpec | None = ladder_specs(session).get(timepoint.study_id)
    if spec is None:
        return "the study does not use self-report"
    w = wording(identity.language)
    first = session.exec(select(SelfReportMessage.id).where(
        SelfReportMessage.assessment_id == message.assessment_id,
        SelfReportMessage.state == "sent")).first() is None
    token = new_token()
    label = w.interval(timepoint.offset_days, timepoint.label)
    count = minutes(screens(measures_for_patient(session, assessment), w))
    lead = (w.email("invitation", label=label, minutes=count) if first
            else w.email("reminder"))
    name = first_name(identity.name)
    lines = [w.email("greeting", first_name=name) if name else "",
             "", lead, "", f"{public_url}/r/{token}", "",
             w.email("closes", date=assessment.window_close.isoformat()),
             w.email("stop"), "", w.email("signature")]
    subject = (w.email("invitation_subject", label=label) if first
               else w.email("reminder_subject"))
    out = Outgoing(to=identity.email.strip(), subject=subject,  # type: ignore[union-attr]
                   body="\n".join(lines).lstrip("\n") + "\n",
                   message_id=message_id("self-report", message.id, domain))  # type: ignore[arg-type]
    return out, token_hash(token)
