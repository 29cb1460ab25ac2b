{#- What a generic data test reads. dbt renders the `model` of every generic test (not_null, unique_combination,
    relationships, …) through get_where_subquery; a project's own macro of that name replaces dbt's, which only
    applies the test's `where` config (https://docs.getdbt.com/reference/resource-configs/where, "Custom logic").

    A month's incremental refresh tests only the fiscal months it rebuilt in the big row-level models, so it costs
    the same on ten years of history as on one. It applies when the var tests_changed_months_only is true (the
    refresh passes it only when the load step was incremental: warehouse/refresh/build.py) to a model whose YAML
    declares
        config:
          meta:
            tests_changed_months_only:
              month_column: a date or timestamp column whose calendar month is the row's lake partition
              lake_tables: the lake tables whose fiscal months feed the model
    Its tests then read only the rows whose month raw.changed_fiscal_months lists for those lake tables (the
    months macros/incremental.sql rebuilds). The other months' rows are the published file's, tested when that
    month was built with the same models, seeds and macros (a change to those makes the load full). So declare it
    only where that holds, and say in the model's YAML why:
    - a month's rows come from that month's lake rows only (no join to a model that can change in other months);
    - the key of each uniqueness test determines the month, so duplicates can only fall within one month.
    Tests that also read another model (relationships) read every row: that model may have changed anywhere.
    A full load (first build, --full-rebuild, changed models …) tests every row, as does the var left false. -#}

{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append(where) -%}
    {%- endif -%}
    {%- set scope = changed_months_test_scope() -%}
    {%- if scope -%}
        {#- the months as literals, not a subquery: DuckDB then filters inside the views' unions and group-bys,
            and skips other months' row groups where month_column is a column of the raw table -#}
        {%- do conditions.append(changed_months_filter(scope.month_column, scope.lake_tables)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ conditions | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro changed_months_test_scope() -%}
    {#- The tested model's tests_changed_months_only meta when this test reads only the changed months; else none. -#}
    {%- if not execute or not var('tests_changed_months_only', false) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if tested is none or (model.depends_on.nodes | length) != 1 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set scope = tested.config.meta.get('tests_changed_months_only') -%}
    {%- if scope is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not scope.get('month_column') or not scope.get('lake_tables') -%}
        {{ exceptions.raise_compiler_error(tested.original_file_path ~ ": meta tests_changed_months_only needs "
            ~ "month_column and lake_tables (see macros/get_where_subquery.sql)") }}
    {%- endif -%}
    {{ return(scope) }}
{%- endmacro %}
