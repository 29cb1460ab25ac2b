{#- Fiscal years (April-March) of the plan's KPI reports, computed at compile time from var('as_of_date'). -#}

{% macro kpi_fiscal_year_of(date_text) -%}
    {#- Fiscal year of an ISO date string: April-December belong to their calendar year, January-March to the previous one. -#}
    {%- set year = date_text[0:4] | int -%}
    {%- set month = date_text[5:7] | int -%}
    {{- year if month >= 4 else year - 1 -}}
{%- endmacro %}

{% macro kpi_first_fiscal_year() -%}
    {#- The first fiscal year the plan reports on: 平成28年度 (FY2016). -#}
    2016
{%- endmacro %}

{% macro kpi_current_fiscal_year() -%}
    {{- kpi_fiscal_year_of(var('as_of_date') | string) -}}
{%- endmacro %}

{% macro kpi_fiscal_year_spine() -%}
    {#- One row per fiscal year FY2016 .. the fiscal year of as_of_date, with the date its evaluation refers to:
        the fiscal year's last day (31 March), or as_of_date for the current fiscal year. -#}
    {%- set as_of_date = var('as_of_date') | string -%}
    {%- set first_year = kpi_first_fiscal_year() | int -%}
    {%- set last_year = kpi_current_fiscal_year() | int -%}
    {%- for fiscal_year in range(first_year, last_year + 1) %}
    select
        {{ fiscal_year }} as fiscal_year,
        cast('{{ fiscal_year + 1 }}-03-31' as date) as fiscal_year_end_date,
        cast('{{ as_of_date if fiscal_year == last_year else (fiscal_year + 1) ~ "-03-31" }}' as date) as evaluation_date,
        {{ 'false' if fiscal_year == last_year else 'true' }} as is_complete_fiscal_year
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro fiscal_year_end_date(fiscal_year_expr) -%}
    {#- 31 March that ends the fiscal year (FY2020 ends 2021-03-31), as a date; portable string-built literal. -#}
    cast({{ dbt.concat(["cast(" ~ fiscal_year_expr ~ " + 1 as " ~ dbt.type_string() ~ ")", "'-03-31'"]) }} as date)
{%- endmacro %}
