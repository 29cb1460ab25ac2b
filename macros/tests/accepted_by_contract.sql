{#- Generic test: the column holds only values the ingest contract accepts for raw.<source_table>.<source_column>
    (source_column defaults to the tested column's name). Null values are left to not_null. -#}
{% test accepted_by_contract(model, column_name, source_table, source_column=none) %}

{%- set values = contract_accepted_values(source_table, source_column or column_name) -%}

select
    {{ column_name }} as value_not_in_contract,
    count(*) as row_count
from {{ model }}
where {{ column_name }} is not null
{%- if values %}
    and cast({{ column_name }} as {{ dbt.type_string() }}) not in (
        {%- for value in values %}'{{ value | string | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )
{%- endif %}
group by {{ column_name }}

{% endtest %}
