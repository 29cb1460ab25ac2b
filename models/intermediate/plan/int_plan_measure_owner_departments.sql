with

measures as (

    select * from {{ ref('plan_measures') }}

),

part_numbers as (

    select 1 as part_number
    union all select 2
    union all select 3
    union all select 4
    union all select 5
    union all select 6

),

owner_names as (

    -- 所管課 cells list several departments separated by '、'; 'ほか' ("and others") is not a department
    select distinct
        measures.measure_id,
        trim({{ dbt.replace(dbt.split_part('measures.owner_departments_ja', "'、'", 'part_numbers.part_number'), "'ほか'", "''") }})
            as department_name_ja

    from measures
    cross join part_numbers
    where measures.owner_departments_ja is not null

),

final as (

    select
        measure_id,
        department_name_ja

    from owner_names
    where department_name_ja is not null
        and department_name_ja <> ''

)

select * from final
