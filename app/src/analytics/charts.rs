//! The dashboards' building blocks: data tables with a CSV download, sortable where
//! asked, and SVG charts rendered on the server (they show before hydration).

use leptos::prelude::*;

use crate::i18n::*;

/// A table as the page shows it and as its CSV download holds it: the same cells.
#[derive(Clone, Default)]
pub struct Table {
    /// The download's name, without `.csv`.
    pub file: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Sort keys of the number columns (from the second on), one row each; empty: the
    /// table does not sort.
    pub sort_keys: Vec<Vec<i64>>,
    /// Where each row's first cell links to, if anywhere.
    pub links: Vec<Option<String>>,
}

impl Table {
    pub fn new(file: &'static str, header: Vec<String>, rows: Vec<Vec<String>>) -> Table {
        Table {
            file,
            header,
            rows,
            ..Table::default()
        }
    }

    /// Sortable by any column: the first by its text, the others by these keys.
    pub fn sortable(self, sort_keys: Vec<Vec<i64>>) -> Table {
        Table { sort_keys, ..self }
    }

    pub fn with_links(self, links: Vec<Option<String>>) -> Table {
        Table { links, ..self }
    }

    /// The row order sorted on `column`, ascending or not; ties keep the given order.
    fn order(&self, column: usize, descending: bool) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by(|&a, &b| {
            let ordering = if column == 0 {
                self.rows[a][0]
                    .to_lowercase()
                    .cmp(&self.rows[b][0].to_lowercase())
            } else {
                let key = |row: usize| self.sort_keys.get(row).and_then(|k| k.get(column - 1));
                key(a).cmp(&key(b))
            };
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        order
    }
}

/// A data table (cards on a phone) with a "Download CSV" link. The file is a `data:` URL
/// built when the page is rendered, so the link works before hydration and needs no
/// request; the tables are small (a row per stage, person, day or deal). A sortable
/// table sorts in the browser when a heading is pressed.
#[component]
pub fn DataTable(table: Table) -> impl IntoView {
    let i18n = use_i18n();
    let href = shared::export::csv_document(&table.header, &table.rows)
        .map(|doc| {
            format!(
                "data:text/csv;charset=utf-8,{}",
                crate::url_query::percent_encode(&doc)
            )
        })
        .ok();
    let file = table.file;
    let sortable = !table.sort_keys.is_empty();
    // (column, descending); `None`: as given.
    let sort = RwSignal::new(None::<(usize, bool)>);
    let table = StoredValue::new(table);
    let header = table.with_value(|t| t.header.clone());
    let labels = header.clone();
    let rows = move || {
        table.with_value(|t| {
            let order = match sort.get() {
                Some((column, descending)) => t.order(column, descending),
                None => (0..t.rows.len()).collect(),
            };
            order
                .into_iter()
                .map(|i| (t.rows[i].clone(), t.links.get(i).cloned().flatten()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="table-block">
            <table class="data">
                <thead><tr>
                    {header.into_iter().enumerate().map(|(i, h)| {
                        let aria_sort = move || match sort.get() {
                            Some((column, true)) if column == i => "descending",
                            Some((column, false)) if column == i => "ascending",
                            _ => "none",
                        };
                        if sortable {
                            view! {
                                <th class:num={i > 0} aria-sort=aria_sort>
                                    <button type="button" class="sort"
                                        on:click=move |_| sort.update(|s| {
                                            // Numbers start with the largest, names with A.
                                            let first_descending = i > 0;
                                            *s = Some(match *s {
                                                Some((column, descending)) if column == i => (i, !descending),
                                                _ => (i, first_descending),
                                            });
                                        })>
                                        {h}
                                    </button>
                                </th>
                            }.into_any()
                        } else {
                            view! { <th class:num={i > 0}>{h}</th> }.into_any()
                        }
                    }).collect_view()}
                </tr></thead>
                <tbody>
                    {move || rows().into_iter().map(|(row, link)| view! {
                        <tr>
                            {row.into_iter().enumerate().map(|(i, cell)| {
                                if i == 0 {
                                    match link.clone() {
                                        Some(href) => view! { <td><a href=href>{cell}</a></td> }.into_any(),
                                        None => view! { <td>{cell}</td> }.into_any(),
                                    }
                                } else {
                                    view! { <td class="num" data-label=labels[i].clone()>{cell}</td> }.into_any()
                                }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {href.map(|href| view! {
                <a class="btn btn-small csv-link" href=href download=format!("{file}.csv")>
                    {t!(i18n, analytics.download_csv)}
                </a>
            })}
        </div>
    }
}

/// One bar of a chart: a name, a value the bar's length follows, the text shown, and an
/// optional marker (the p90 beside a median).
#[derive(Clone)]
pub struct Bar {
    name: String,
    value: u64,
    shown: String,
    marker: Option<u64>,
}

impl Bar {
    pub fn new(name: &str, value: u64, shown: String) -> Bar {
        Bar {
            name: name.to_owned(),
            value,
            shown,
            marker: None,
        }
    }

    pub fn with_marker(self, marker: u64) -> Bar {
        Bar {
            marker: Some(marker),
            ..self
        }
    }
}

/// Horizontal bars, one SVG per row so the chart reflows at any width; the names and
/// values are HTML text beside it, readable at 375 px.
#[component]
pub fn BarChart(bars: Vec<Bar>, label: String) -> impl IntoView {
    let max = bars
        .iter()
        .map(|b| b.value.max(b.marker.unwrap_or_default()))
        .max()
        .unwrap_or_default()
        .max(1);
    let width = move |value: u64| format!("{:.2}", value as f64 * 100.0 / max as f64);
    view! {
        <ul class="bars" role="list" aria-label=label>
            {bars.into_iter().map(|bar| view! {
                <li class="bar-row">
                    <span class="bar-name">{bar.name.clone()}</span>
                    <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                        <rect class="bar-track" x="0" y="0" width="100" height="10" rx="1.5" />
                        <rect class="bar-fill" x="0" y="0" width=width(bar.value) height="10" rx="1.5" />
                        {bar.marker.map(|m| view! {
                            <rect class="bar-marker" x=width(m.min(max * 99 / 100)) y="0" width="1" height="10" />
                        })}
                    </svg>
                    <span class="bar-value">{bar.shown.clone()}</span>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// One column of a trend: the span's label (its first day), the value and the text shown.
#[derive(Clone)]
pub struct Column {
    pub label: String,
    pub value: u64,
    pub shown: String,
}

/// Vertical columns over time, one SVG that stretches to the width; the first and last
/// labels and the largest value are HTML text, each column's value its tooltip.
#[component]
pub fn ColumnChart(columns: Vec<Column>, label: String) -> impl IntoView {
    let max = columns.iter().map(|c| c.value).max().unwrap_or_default();
    let peak = columns
        .iter()
        .find(|c| c.value == max)
        .map(|c| c.shown.clone())
        .unwrap_or_default();
    let scale = max.max(1) as f64;
    let width = columns.len().max(1) * 10;
    let first = columns.first().map(|c| c.label.clone()).unwrap_or_default();
    let last = columns.last().map(|c| c.label.clone()).unwrap_or_default();
    view! {
        <figure class="columns">
            <figcaption>{label.clone()}<span class="muted">" · max "{peak}</span></figcaption>
            <svg class="column-chart" viewBox=format!("0 0 {width} 40") preserveAspectRatio="none"
                role="img" aria-label=label>
                {columns.into_iter().enumerate().map(|(i, c)| {
                    let height = c.value as f64 * 38.0 / scale;
                    view! {
                        <rect class="column-bar" x=format!("{}", i * 10 + 1) y=format!("{:.2}", 40.0 - height)
                            width="8" height=format!("{height:.2}")>
                            <title>{format!("{}: {}", c.label, c.shown)}</title>
                        </rect>
                    }
                }).collect_view()}
                <line class="axis" x1="0" y1="40" x2=width.to_string() y2="40" />
            </svg>
            <div class="column-labels muted small"><span>{first}</span><span>{last}</span></div>
        </figure>
    }
}
