//! The joint lead space of two versions: one schema holding every field of
//! both, so that one solver question can talk about "old rule i fires and
//! new rule j fires".
//!
//! A field of the same name and type in both versions is one joint field:
//! required when either version requires it, and for enums only the values
//! both versions accept (a lead valid under both can hold no other). A
//! field only one version has, or one whose type changed, is a joint field
//! of its own (a retyped field is thus two independent joint fields: the
//! joint space is then larger than the leads both versions read the same
//! way, which keeps "no lead does" a proof, while every example found is
//! still verified by reading one input record under both versions).
//! Lookups of both versions sit side by side, the new ones after the old.

use crate::check::program::{Cond, Lookup, LookupId, Program, Scalar, Test, TestKind};
use crate::schema::{ElementType, EnumId, EnumType, Field, FieldId, FieldType, Lead, Schema, Value};

/// Which version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    Old,
    New,
}

/// Both versions' rules over one schema.
pub(crate) struct Joint {
    /// Every field of both versions.
    pub(crate) schema: Schema,
    /// The old lookups, then the new ones.
    pub(crate) lookups: Vec<Lookup>,
    /// Per version: its rules' conditions over the joint schema.
    pub(crate) old_rules: Vec<Cond>,
    pub(crate) new_rules: Vec<Cond>,
    /// Per version, per field: the joint field.
    old_fields: Vec<FieldId>,
    new_fields: Vec<FieldId>,
    /// Where the new version's lookups start.
    lookup_offset: u32,
}

/// The enum a field's values come from, if any.
fn enum_of(ty: FieldType) -> Option<EnumId> {
    match ty {
        FieldType::Enum(id) | FieldType::List(ElementType::Enum(id)) => Some(id),
        _ => None,
    }
}

/// The same type with its enum (if any) replaced.
fn with_enum(ty: FieldType, id: EnumId) -> FieldType {
    match ty {
        FieldType::Enum(_) => FieldType::Enum(id),
        FieldType::List(ElementType::Enum(_)) => FieldType::List(ElementType::Enum(id)),
        other => other,
    }
}

/// Whether two fields are the same kind of value (enums: of any values).
pub(crate) fn same_type(a: FieldType, b: FieldType) -> bool {
    match (a, b) {
        (FieldType::Enum(_), FieldType::Enum(_)) => true,
        (FieldType::List(ElementType::Enum(_)), FieldType::List(ElementType::Enum(_))) => true,
        _ => enum_of(a).is_none() && a == b,
    }
}

fn field_id(i: usize) -> FieldId {
    FieldId(u32::try_from(i).unwrap_or(u32::MAX))
}

/// A value no enum has: a literal of a value the joint enum dropped, which
/// no lead valid under both versions holds.
const NO_VALUE: u32 = u32::MAX;

impl Joint {
    /// The joint space of two checked programs.
    pub(crate) fn new(old: &Program, new: &Program) -> Joint {
        let mut schema =
            Schema { missing: old.schema.missing.clone(), numbers: old.schema.numbers, ..Schema::default() };
        for marker in &new.schema.missing {
            if !schema.missing.contains(marker) {
                schema.missing.push(marker.clone());
            }
        }
        let mut old_fields = Vec::with_capacity(old.schema.fields.len());
        for (index, field) in old.schema.fields.iter().enumerate() {
            // Derived fields are never shared: the same name may be computed
            // from a table whose rows changed. Kept apart, they are free
            // values of their own, so the diff claims no more than it can
            // verify (its examples are routed with values derived again).
            let derived = old.schema.derivation(field_id(index)).is_some();
            let counterpart = new
                .schema
                .field_by_name(&field.name)
                .filter(|&id| !derived && new.schema.derivation(id).is_none())
                .map(|id| new.schema.field(id));
            let shared = counterpart.filter(|n| same_type(n.ty, field.ty));
            let values = enum_values(&old.schema, field.ty, shared.map(|n| (&new.schema, n.ty)));
            let ty = match values {
                Some(values) => {
                    schema.enums.push(EnumType::new(values));
                    with_enum(field.ty, EnumId(u32::try_from(schema.enums.len() - 1).unwrap_or(u32::MAX)))
                }
                None => field.ty,
            };
            let optional = field.optional && shared.is_none_or(|n| n.optional);
            old_fields.push(field_id(schema.fields.len()));
            schema.fields.push(Field { ty, optional, ..field.clone() });
        }
        schema.id_field = old.schema.id_field.and_then(|id| old_fields.get(id.index()).copied());
        let mut new_fields = Vec::with_capacity(new.schema.fields.len());
        for (index, field) in new.schema.fields.iter().enumerate() {
            let derived = new.schema.derivation(field_id(index)).is_some();
            let shared = old
                .schema
                .field_by_name(&field.name)
                .filter(|&id| !derived && old.schema.derivation(id).is_none())
                .filter(|&id| same_type(old.schema.field(id).ty, field.ty))
                .and_then(|id| old_fields.get(id.index()).copied());
            if let Some(joint) = shared {
                new_fields.push(joint);
                continue;
            }
            let ty = match enum_values(&new.schema, field.ty, None) {
                Some(values) => {
                    schema.enums.push(EnumType::new(values));
                    with_enum(field.ty, EnumId(u32::try_from(schema.enums.len() - 1).unwrap_or(u32::MAX)))
                }
                None => field.ty,
            };
            new_fields.push(field_id(schema.fields.len()));
            schema.fields.push(Field { ty, ..field.clone() });
        }
        let mut lookups = old.lookups.clone();
        lookups.extend(new.lookups.iter().cloned());
        let mut joint = Joint {
            schema,
            lookups,
            old_rules: Vec::new(),
            new_rules: Vec::new(),
            old_fields,
            new_fields,
            lookup_offset: u32::try_from(old.lookups.len()).unwrap_or(u32::MAX),
        };
        joint.old_rules = old.rules.iter().map(|r| joint.translate(old, Version::Old, &r.condition)).collect();
        joint.new_rules = new.rules.iter().map(|r| joint.translate(new, Version::New, &r.condition)).collect();
        joint
    }

    fn fields(&self, version: Version) -> &[FieldId] {
        match version {
            Version::Old => &self.old_fields,
            Version::New => &self.new_fields,
        }
    }

    /// The joint field of a version's field.
    fn joint_field(&self, version: Version, field: FieldId) -> FieldId {
        self.fields(version).get(field.index()).copied().unwrap_or(FieldId(u32::MAX))
    }

    /// A version's condition over the joint schema.
    fn translate(&self, program: &Program, version: Version, cond: &Cond) -> Cond {
        match cond {
            Cond::True => Cond::True,
            Cond::All(parts) => Cond::All(parts.iter().map(|c| self.translate(program, version, c)).collect()),
            Cond::Any(parts) => Cond::Any(parts.iter().map(|c| self.translate(program, version, c)).collect()),
            Cond::Not(inner) => Cond::Not(Box::new(self.translate(program, version, inner))),
            Cond::Test(test) => Cond::Test(self.translate_test(program, version, test)),
        }
    }

    fn translate_test(&self, program: &Program, version: Version, test: &Test) -> Test {
        let field = self.joint_field(version, test.field);
        let scalar = |s: &Scalar| self.to_joint_scalar(program, test.field, field, s);
        let kind = match &test.kind {
            TestKind::Eq(s) => TestKind::Eq(scalar(s)),
            TestKind::In(list) => TestKind::In(list.iter().map(scalar).collect()),
            TestKind::ListContains(s) => TestKind::ListContains(scalar(s)),
            TestKind::InLookup(id) => TestKind::InLookup(match version {
                Version::Old => *id,
                Version::New => LookupId(id.0.saturating_add(self.lookup_offset)),
            }),
            other => other.clone(),
        };
        Test { field, kind, span: test.span }
    }

    /// An enum literal by its value's name in the joint enum.
    fn to_joint_scalar(&self, program: &Program, side: FieldId, joint: FieldId, literal: &Scalar) -> Scalar {
        let Scalar::Enum(k) = literal else { return literal.clone() };
        let name = enum_name(&program.schema, side, *k);
        Scalar::Enum(name.and_then(|n| enum_index(&self.schema, joint, n)).unwrap_or(NO_VALUE))
    }

    /// The lead a version reads for a joint lead: its fields' values,
    /// enums by name. `None` when a value has no counterpart.
    pub(crate) fn side_lead(&self, program: &Program, version: Version, lead: &Lead) -> Option<Lead> {
        let mut values = Vec::with_capacity(program.schema.fields.len());
        for (i, joint) in self.fields(version).iter().enumerate() {
            let value = lead.values.get(joint.index())?;
            values.push(self.side_value(program, field_id(i), *joint, value)?);
        }
        Some(Lead { values })
    }

    fn side_value(&self, program: &Program, side: FieldId, joint: FieldId, value: &Value) -> Option<Value> {
        match value {
            Value::Enum(k) => {
                let name = enum_name(&self.schema, joint, *k)?;
                enum_index(&program.schema, side, name).map(Value::Enum)
            }
            Value::List(items) => items
                .iter()
                .map(|item| self.side_value(program, side, joint, item))
                .collect::<Option<_>>()
                .map(Value::List),
            other => Some(other.clone()),
        }
    }
}

/// The values of a field's enum, and for a shared field only those the
/// other version's enum has too; `None` for a field without an enum.
fn enum_values(schema: &Schema, ty: FieldType, other: Option<(&Schema, FieldType)>) -> Option<Vec<String>> {
    let values = &schema.enums.get(enum_of(ty)?.0 as usize)?.values;
    let Some((other_schema, other_ty)) = other else { return Some(values.clone()) };
    let theirs = enum_of(other_ty).and_then(|id| other_schema.enums.get(id.0 as usize));
    Some(values.iter().filter(|v| theirs.is_some_and(|t| t.values.contains(v))).cloned().collect())
}

/// The name of value `k` of a field's enum.
fn enum_name(schema: &Schema, field: FieldId, k: u32) -> Option<&str> {
    let id = enum_of(schema.fields.get(field.index())?.ty)?;
    schema.enums.get(id.0 as usize)?.values.get(k as usize).map(String::as_str)
}

/// The index of a value, by name, in a field's enum.
fn enum_index(schema: &Schema, field: FieldId, name: &str) -> Option<u32> {
    let id = enum_of(schema.fields.get(field.index())?.ty)?;
    let position = schema.enums.get(id.0 as usize)?.values.iter().position(|v| v == name)?;
    u32::try_from(position).ok()
}
