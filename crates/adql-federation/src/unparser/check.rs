//! The one check every remote request passes: printed, read back under the service's capabilities, and
//! compared with the tree it was printed from.

use adql_syntax::ast::Query;
use datafusion::logical_expr::LogicalPlan;

use super::not_pushable::NotPushable;
use super::plan::{TableNaming, plan_to_adql};
use crate::capabilities::ServiceCapabilities;

/// [`plan_to_adql`], then [`checked_text`]: what is sent is valid ADQL for that service.
pub fn plan_to_checked_adql(
    plan: &LogicalPlan,
    caps: &ServiceCapabilities,
    naming: &dyn TableNaming,
) -> Result<Query, NotPushable> {
    let query = plan_to_adql(plan, caps, naming)?;
    checked_text(&query, caps).map_err(|e| NotPushable::new(e.to_string()))?;
    Ok(query)
}

/// The text of `query` once it is known to be what the service will read: printed, parsed again under
/// the service's version, features and UDFs, and equal to `query` (spans aside).
///
/// The one check every remote request passes before it is sent (remote parts, cross-service strategies,
/// overflow pieces and probes).
///
/// # Errors
/// The service would reject the text, or the text reads back as another query (a printer bug).
pub fn checked_text(query: &Query, caps: &ServiceCapabilities) -> Result<String, InvalidAdql> {
    let text = query.to_string();
    match adql_syntax::parse_with(&text, &caps.parse_options()) {
        Err(e) => Err(InvalidAdql {
            reason: format!("is not accepted by the service ({e})"),
            text,
        }),
        Ok(parsed) if parsed != *query => Err(InvalidAdql {
            reason: "does not read back as the query it was printed from".into(),
            text,
        }),
        Ok(_) => Ok(text),
    }
}

/// A generated query that cannot be sent (see [`checked_text`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("generated ADQL {reason}: {text}")]
pub struct InvalidAdql {
    /// Why.
    pub reason: String,
    /// The printed query.
    pub text: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use adql_syntax::ast::{
        BuiltinFunction, Expr, Select, SelectItem, SelectList, TableName, TableRef,
    };

    use super::*;

    fn select(condition: Expr) -> Query {
        Query::select(
            Select::new(
                SelectList::Items(vec![SelectItem::expr(Expr::column(["ra"]))]),
                vec![TableRef::table(TableName::new("t"))],
            )
            .filter(condition),
        )
    }

    #[test]
    fn the_check_compares_what_reads_back() {
        let caps = ServiceCapabilities::adql_2_1_full();
        let ok = select(Expr::column(["ra"]).eq(Expr::signed(-1)));
        assert_eq!(
            checked_text(&ok, &caps).unwrap(),
            "SELECT ra FROM t WHERE ra = -1"
        );
        // A coordinate system left among the arguments prints like one in its place, but reads back
        // differently: the check catches the builder's mistake before a service sees it.
        let point = Expr::call(
            BuiltinFunction::Point,
            vec![
                Expr::string("ICRS"),
                Expr::column(["ra"]),
                Expr::column(["dec"]),
            ],
        );
        let bad = select(Expr::call(BuiltinFunction::Coord1, vec![point]).eq(Expr::integer(1)));
        let err = checked_text(&bad, &caps).unwrap_err();
        assert!(err.reason.contains("does not read back"), "{err}");
        // A feature the service does not declare.
        let mut no_geometry = caps.clone();
        no_geometry
            .features
            .retain(|f| !f.form.eq_ignore_ascii_case("POINT"));
        let point = Expr::Function(
            adql_syntax::ast::Function::builtin(
                BuiltinFunction::Point,
                vec![Expr::column(["ra"]), Expr::column(["dec"])],
            )
            .with_coord_sys(Expr::string("ICRS")),
        );
        let geometry =
            select(Expr::call(BuiltinFunction::Coord1, vec![point]).eq(Expr::integer(1)));
        assert!(checked_text(&geometry, &caps).is_ok());
        let err = checked_text(&geometry, &no_geometry).unwrap_err();
        assert!(err.reason.contains("not accepted"), "{err}");
    }
}
