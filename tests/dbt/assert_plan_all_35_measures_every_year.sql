-- mart_plan_measure_status has all 35 measures in every fiscal year FY2016 .. current, and nothing else.
with

fiscal_years as (

    {{ kpi_fiscal_year_spine() }}

),

status as (

    select * from {{ ref('mart_plan_measure_status') }}

),

per_year as (

    select
        fiscal_years.fiscal_year,
        count(status.measure_id) as measure_count,
        count(distinct status.measure_id) as distinct_measure_count
    from fiscal_years
    left join status
        on fiscal_years.fiscal_year = status.fiscal_year
    group by fiscal_years.fiscal_year

),

failures as (

    select * from per_year
    where measure_count != 35 or distinct_measure_count != 35
    union all
    select
        status.fiscal_year,
        -1 as measure_count,
        -1 as distinct_measure_count
    from status
    left join fiscal_years
        on status.fiscal_year = fiscal_years.fiscal_year
    where fiscal_years.fiscal_year is null

)

select * from failures
