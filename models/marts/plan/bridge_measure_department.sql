with

owner_names as (

    select * from {{ ref('int_plan_measure_owner_departments') }}

),

departments as (

    select * from {{ ref('dim_department') }}

),

final as (

    select
        owner_names.measure_id,
        departments.department_id,
        departments.department_name_ja
    from owner_names
    inner join departments
        on owner_names.department_name_ja = departments.department_name_ja

)

select * from final
