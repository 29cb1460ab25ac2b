{#- Calendar helpers shared by every model that maps a date to the ward's fiscal calendar (April-March). -#}

{% macro as_of_date() -%}
    {#- The refresh's "today" (var as_of_date) as a date literal, so results never depend on the wall clock. -#}
    cast('{{ var("as_of_date") }}' as date)
{%- endmacro %}

{% macro fiscal_year_of(date_expr) -%}
    {#- Fiscal year that contains the date: April 2020-March 2021 is FY2020. -#}
    (case
        when extract(month from {{ date_expr }}) >= 4
            then cast(extract(year from {{ date_expr }}) as integer)
        else cast(extract(year from {{ date_expr }}) as integer) - 1
    end)
{%- endmacro %}

{% macro month_start_of(date_expr) -%}
    {#- First day of the date's calendar month, as a date (joins to dim_fiscal_month.fiscal_month_start_date). -#}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro wareki_fiscal_year_label(fiscal_year_expr) -%}
    {#- 和暦 label of a fiscal year as the ward writes it today: 平成27年度 … 平成30年度, 令和元年度 (FY2019), 令和2年度 … -#}
    (case
        when {{ fiscal_year_expr }} <= 2018
            then {{ dbt.concat(["'平成'", "cast(" ~ fiscal_year_expr ~ " - 1988 as " ~ dbt.type_string() ~ ")", "'年度'"]) }}
        when {{ fiscal_year_expr }} = 2019
            then '令和元年度'
        else {{ dbt.concat(["'令和'", "cast(" ~ fiscal_year_expr ~ " - 2018 as " ~ dbt.type_string() ~ ")", "'年度'"]) }}
    end)
{%- endmacro %}

{% macro plan_fiscal_year_label(fiscal_year_expr) -%}
    {#- The plan's own labels: written in 平成 before the era changed, so FY2019 = 平成31年度 and FY2020 = 平成32年度. -#}
    (case
        when {{ fiscal_year_expr }} <= 2020
            then {{ dbt.concat(["'平成'", "cast(" ~ fiscal_year_expr ~ " - 1988 as " ~ dbt.type_string() ~ ")", "'年度'"]) }}
        else {{ wareki_fiscal_year_label(fiscal_year_expr) }}
    end)
{%- endmacro %}

{% macro calendar_default_start() -%}
    {#- First day of the calendar when the lake holds nothing older: April 2015, the plan's baseline year FY2015
        (var calendar_start_date moves it; not set in dbt_project.yml). -#}
    cast('{{ var("calendar_start_date", "2015-04-01") }}' as date)
{%- endmacro %}

{% macro month_spine(start_date_expr, end_date_expr) -%}
    {#- One row (month_start_date) per calendar month from start's month to end's month, however far apart. -#}
    {{ return(adapter.dispatch('month_spine')(start_date_expr, end_date_expr)) }}
{%- endmacro %}

{% macro duckdb__month_spine(start_date_expr, end_date_expr) -%}
    select
        cast(spined.month_start_date as date) as month_start_date
    from generate_series(
        cast({{ month_start_of(start_date_expr) }} as timestamp),
        cast({{ month_start_of(end_date_expr) }} as timestamp),
        interval 1 month
    ) as spined(month_start_date)
{%- endmacro %}

{% macro default__month_spine(start_date_expr, end_date_expr) -%}
    {#- Portable (no generate_series): up to 10,000 months (833 years) from start's month. -#}
    select
        month_start_date
    from (
        select
            cast({{ dbt.dateadd('month', 'month_offsets.month_offset', month_start_of(start_date_expr)) }} as date) as month_start_date
        from (
            select
                thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + ones.digit as month_offset
            from {{ _digits() }} as thousands
            cross join {{ _digits() }} as hundreds
            cross join {{ _digits() }} as tens
            cross join {{ _digits() }} as ones
        ) as month_offsets
    ) as spined_months
    where spined_months.month_start_date <= {{ month_start_of(end_date_expr) }}
{%- endmacro %}

{% macro _digits() -%}
    (
        select 0 as digit union all select 1 union all select 2 union all select 3 union all select 4
        union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
    )
{%- endmacro %}
