{#- Row-level arithmetic claim (e.g. a ratio equals its parts): returns the rows where the expression is false. -#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}

select
    *
from {{ model }}
where not ({{ expression }})
{%- if where_clause %}
    and ({{ where_clause }})
{%- endif %}

{% endtest %}
