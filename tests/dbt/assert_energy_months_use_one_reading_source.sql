-- Interval sums never stand in for a month that has a monthly reading (monthly readings win).
select
    interval_months.facility_code,
    interval_months.meter_type,
    interval_months.reading_month_start_date

from {{ ref('int_energy_interval_readings_summed_to_months') }} as interval_months
inner join {{ ref('stg_ems__readings_monthly') }} as monthly_readings
    on interval_months.facility_code = monthly_readings.facility_code
    and interval_months.meter_type = monthly_readings.meter_type
    and interval_months.reading_month_start_date = monthly_readings.reading_month_start_date
inner join {{ ref('fct_energy_use_monthly') }} as facts
    on facts.facility_code = interval_months.facility_code
    and facts.meter_type = interval_months.meter_type
    and facts.fiscal_month_start_date = interval_months.reading_month_start_date
where facts.reading_source <> 'monthly'
