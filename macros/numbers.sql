{#- Arithmetic helpers for ratios in marts: one definition so every mart divides the same way. -#}

{% macro safe_divide(numerator, denominator) -%}
    {#- numerator / denominator as a double, null when the denominator is null or zero (no division errors). -#}
    (case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(({{ numerator }}) as double) / ({{ denominator }})
    end)
{%- endmacro %}

{% macro pct_change(current_value, previous_value) -%}
    {#- Percent change from previous to current (100 = doubled); null when there is no comparable previous value. -#}
    (100.0 * {{ safe_divide("(" ~ current_value ~ ") - (" ~ previous_value ~ ")", previous_value) }})
{%- endmacro %}
