"""Demo rate cards and ledger entries."""


def seed(context):
    pass
