with

spined_months as (

    {{ month_spine("cast('" ~ var('calendar_start_date', '2015-04-01') ~ "' as date)", as_of_date()) }}

),

final as (

    select
        spined_months.month_start_date,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'spined_months.month_start_date')) }}
            as date
        ) as month_end_date

    from spined_months

)

select * from final
