-- Every one of the plan's 41 indicators has exactly one row in every fiscal year FY2016 .. current.
with

indicators as (

    select * from {{ ref('plan_indicators') }}

),

fiscal_years as (

    {{ kpi_fiscal_year_spine() }}

),

progress as (

    select * from {{ ref('mart_kpi_indicator_progress') }}

),

expected as (

    select
        indicators.indicator_id,
        fiscal_years.fiscal_year
    from indicators
    cross join fiscal_years

),

row_counts as (

    select
        expected.indicator_id,
        expected.fiscal_year,
        count(progress.indicator_id) as row_count
    from expected
    left join progress
        on
            expected.indicator_id = progress.indicator_id
            and expected.fiscal_year = progress.fiscal_year
    group by
        expected.indicator_id,
        expected.fiscal_year

),

extra_rows as (

    select
        progress.indicator_id,
        progress.fiscal_year,
        -1 as row_count
    from progress
    left join expected
        on
            progress.indicator_id = expected.indicator_id
            and progress.fiscal_year = expected.fiscal_year
    where expected.indicator_id is null

),

failures as (

    select * from row_counts where row_count != 1
    union all
    select * from extra_rows

)

select * from failures
