with

spined_months as (

    {{ month_spine("cast('2015-04-01' as date)", as_of_date()) }}

),

final as (

    select
        month_start_date,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start_date')) }}
            as date
        ) as month_end_date

    from spined_months

)

select * from final
