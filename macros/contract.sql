{#- The ingest contracts are the one declaration of a lake column's allowed values (ingest/<kind>/contract.py,
    rendered into models/staging/_raw__sources.yml as column meta). Tests read them from there, so a value
    the contract accepts can never fail a build, and a new value added to a contract needs no model change. -#}

{% macro contract_accepted_values(source_table, source_column) -%}
    {#- accepted_values of raw.<source_table>.<source_column> from the source YAML; [] while dbt only parses. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'raw' and node.name == source_table -%}
            {%- set column = node.columns.get(source_column) -%}
            {%- if column is none or column.meta.get('accepted_values') is none -%}
                {{ exceptions.raise_compiler_error("raw." ~ source_table ~ "." ~ source_column ~ " declares no accepted_values in models/staging/_raw__sources.yml") }}
            {%- endif -%}
            {{ return(column.meta['accepted_values']) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no source raw." ~ source_table ~ " in models/staging/_raw__sources.yml") }}
{%- endmacro %}
