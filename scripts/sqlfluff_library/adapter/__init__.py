"""Stand-in for dbt's `adapter.dispatch` in SQLFluff's jinja templater: the dispatched macro (only
`month_spine` today) renders as a one-column select of the same shape."""


def dispatch(macro_name, macro_namespace=None):
    return lambda start, end: f"select cast({start} as date) as month_start_date union all select cast({end} as date)"
