{#- Generic test: the combination of the given columns is unique (dbt_utils.unique_combination_of_columns cannot be installed here). -#}
{% test unique_combination(model, combination_of_columns) %}

with

duplicates as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicates

{% endtest %}
