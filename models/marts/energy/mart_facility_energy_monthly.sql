with

monthly_use as (

    select * from {{ ref('fct_energy_use_monthly') }}

),

facilities as (

    select * from {{ ref('dim_facility') }}

),

emission_factors as (

    select * from {{ ref('emission_factors') }}

),

use_with_co2 as (

    select
        monthly_use.facility_code,
        monthly_use.fiscal_month_start_date,
        monthly_use.fiscal_year,
        monthly_use.meter_type,
        monthly_use.usage_unit,
        monthly_use.usage_value,
        monthly_use.usage_value * emission_factors.co2_kg_per_unit as co2_kg

    from monthly_use
    left join emission_factors
        on monthly_use.meter_type = emission_factors.meter_type
        and monthly_use.usage_unit = emission_factors.unit
        and monthly_use.fiscal_year between emission_factors.valid_from_fiscal_year
            and emission_factors.valid_to_fiscal_year

),

facility_months as (

    select
        facility_code,
        fiscal_month_start_date,
        fiscal_year,
        -- each column holds one unit only: a reading in another unit is never added in as if it were kWh or m3
        sum(case when meter_type = 'electricity' and usage_unit = 'kWh' then usage_value end) as electricity_kwh,
        sum(case when meter_type = 'gas' and usage_unit = 'm3' then usage_value end) as gas_m3,
        sum(case when meter_type = 'water' and usage_unit = 'm3' then usage_value end) as water_m3,
        sum(case when usage_unit = 'GJ' then usage_value end) as energy_gj,
        sum(co2_kg) as co2_kg

    from use_with_co2
    group by
        facility_code,
        fiscal_month_start_date,
        fiscal_year

),

compared_with_last_year as (

    select
        this_year.facility_code,
        this_year.fiscal_month_start_date,
        this_year.fiscal_year,
        this_year.electricity_kwh,
        this_year.gas_m3,
        this_year.water_m3,
        this_year.energy_gj,
        this_year.co2_kg,
        {{ pct_change('this_year.electricity_kwh', 'last_year.electricity_kwh') }} as electricity_yoy_change_pct,
        {{ pct_change('this_year.gas_m3', 'last_year.gas_m3') }} as gas_yoy_change_pct,
        {{ pct_change('this_year.water_m3', 'last_year.water_m3') }} as water_yoy_change_pct,
        {{ pct_change('this_year.co2_kg', 'last_year.co2_kg') }} as co2_yoy_change_pct

    from facility_months as this_year
    left join facility_months as last_year
        on this_year.facility_code = last_year.facility_code
        and last_year.fiscal_month_start_date
            = cast({{ dbt.dateadd('month', -12, 'this_year.fiscal_month_start_date') }} as date)

),

final as (

    select
        compared_with_last_year.facility_code,
        facilities.facility_name_ja,
        facilities.facility_kind_ja,
        facilities.is_registered as is_registered_facility,
        facilities.latitude,
        facilities.longitude,
        compared_with_last_year.fiscal_month_start_date,
        compared_with_last_year.fiscal_year,
        compared_with_last_year.electricity_kwh,
        compared_with_last_year.gas_m3,
        compared_with_last_year.water_m3,
        compared_with_last_year.energy_gj,
        compared_with_last_year.co2_kg,
        compared_with_last_year.electricity_yoy_change_pct,
        compared_with_last_year.gas_yoy_change_pct,
        compared_with_last_year.water_yoy_change_pct,
        compared_with_last_year.co2_yoy_change_pct

    from compared_with_last_year
    left join facilities
        on compared_with_last_year.facility_code = facilities.facility_code

)

select * from final
