{#- The large facts are incremental (delete+insert by fiscal month): a month's refresh rebuilds only the months
    whose lake partitions the load step replaced (warehouse/refresh/load.py writes raw.changed_fiscal_months). -#}

{% macro changed_fiscal_month_starts(lake_tables) -%}
    {#- Month-start dates of the fiscal months replaced in any of lake_tables, as a subquery. -#}
    select cast(fiscal_month || '-01' as date)
    from {{ source('load', 'changed_fiscal_months') }}
    where source_table in ('{{ lake_tables | join("', '") }}')
{%- endmacro %}
