-- mart.household_member (interfaces.md section 3)
-- grain: one row per member of a household on $as_of (policy section 2): every person placed by
-- int.household_assignment who counts as a member (not dead before the as-of month, hukou not 迁出/注销);
-- each person is in exactly one household. relation_to_head as the source states it: 与申请人关系 for a
-- family or application (本人 = the applicant), 与户主关系 for a hukou household. is_covered: 是否保障对象
-- of the family's jz_member row (null for applications and hukou households). placement_rule: which rule
-- of policy section 2 placed him (1 family, 2 application, 3 hukou).

with

assignment as (

    select * from int.household_assignment

),

final as (

    select
        household_id,
        id_number,
        relation_to_head,
        is_covered,
        kind,
        placement_rule

    from assignment
    where is_member

)

select * from final
