"""What content review does when testers' actions happen (events, after their transaction commits). testers never
imports content_review (.importlinter); it publishes, and this app reacts."""
from atelier import events
from content_review import tasks


@events.subscribe("testers.clause.ended")
def clause_ended(event: dict) -> None:
    """A clause became free to share: approve the waiting requests that cite only free clauses (a task, so a
    failure is retried and never lost with the subscriber; the deadline sweep catches any left)."""
    tasks.approve_freed.delay(event["target_id"])
