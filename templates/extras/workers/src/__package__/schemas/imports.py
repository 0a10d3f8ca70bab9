"""What an import answers: it is accepted, and runs later as jobs."""

from pydantic import BaseModel


class ImportAccepted(BaseModel):
    """One job per item, in the order given."""

    job_ids: list[str]
