with

events as (

    select * from {{ ref('stg_gis__events') }}

),

final as (

    select
        {{ month_start_of('event_date') }} as fiscal_month_start_date,
        department_name_ja,
        count(distinct map_name_ja) as distinct_map_count

    from events
    group by
        {{ month_start_of('event_date') }},
        department_name_ja

)

select * from final
