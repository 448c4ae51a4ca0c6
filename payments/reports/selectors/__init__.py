"""Report figures of one program, aggregated in PostgreSQL (GROUP BY / conditional sums), one module per report.

- `common`: the period and filters, the earning kinds, memberships, the short cache of ledger figures;
- `earnings`: earnings by artist, by source, over time, the ledger lines export, the program's balance;
- `payouts`: payouts and payout runs;
- `year_end`: year-end totals and the reporting threshold;
- `fair_pay`: effective hourly rates against the floor, accepted feedback not paid out yet;
- `statements`: an artist's statement (the CSV and the PDF);
- `dashboard`: the manager's headline figures.

Every function runs a fixed number of queries whatever the number of artists, entries or payouts. Callers
import from here (`from payments.reports import selectors`); the names below are the public ones.
"""
from payments.reports.selectors.common import (  # noqa: F401
    EARNING_KINDS, LEDGER_DAYS_CACHE_SECONDS, MONEY_MOVEMENT_KINDS, Filters, Kind, Period, cohorts, memberships,
    month_bounds, program_started,
)
from payments.reports.selectors.dashboard import NEAR_DEADLINE, dashboard  # noqa: F401
from payments.reports.selectors.earnings import (  # noqa: F401
    EARNING_FIGURES, attach_earnings, earnings_by_artist, earnings_by_source, earnings_over_time, earnings_totals,
    ledger_figures, ledger_lines, program_balance_minor,
)
from payments.reports.selectors.fair_pay import (  # noqa: F401
    FairPay, FairPayRow, _rate_per_hour_minor, accepted_unpaid_feedback, fair_pay,
)
from payments.reports.selectors.payouts import payout_lines, payout_rows, payouts_by_status, runs  # noqa: F401
from payments.reports.selectors.statements import Statement, statement  # noqa: F401
from payments.reports.selectors.year_end import (  # noqa: F401
    US_1099_NEC_THRESHOLDS_MINOR, attach_year_end, reporting_threshold_minor, us_1099_nec_threshold_minor,
    year_end_flagged_count, year_end_totals,
)
