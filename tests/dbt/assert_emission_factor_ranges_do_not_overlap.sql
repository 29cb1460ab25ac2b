-- No meter type and unit has two emission factors valid in the same fiscal year (the CO2 join would double count).
with

factors as (

    select * from {{ ref('emission_factors') }}

)

select
    earlier.meter_type,
    earlier.unit,
    earlier.valid_from_fiscal_year as earlier_valid_from_fiscal_year,
    later.valid_from_fiscal_year as later_valid_from_fiscal_year

from factors as earlier
inner join factors as later
    on earlier.meter_type = later.meter_type
    and earlier.unit = later.unit
    and earlier.valid_from_fiscal_year < later.valid_from_fiscal_year
    and later.valid_from_fiscal_year <= earlier.valid_to_fiscal_year
