-- bridge_measure_department and dim_department split the 所管課 cells the same way: every plan owner in
-- dim_department owns at least one measure in the bridge, and the bridge names only plan owners
select departments.department_name_ja, 'plan owner without a measure in the bridge' as problem
from {{ ref('dim_department') }} as departments
where departments.is_plan_owner
    and departments.department_id not in (select department_id from {{ ref('bridge_measure_department') }})

union all

select bridge.department_name_ja, 'bridge department that is not a plan owner' as problem
from {{ ref('bridge_measure_department') }} as bridge
inner join {{ ref('dim_department') }} as departments
    on bridge.department_id = departments.department_id
where not departments.is_plan_owner
