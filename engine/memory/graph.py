"""The memory graph: entities, notes and facts as nodes; edges in the DB; networkx for traversal.

Edges are stored once and undirected for traversal (a person "works on" a project, and the project
"has" that person). The graph is rebuilt from the DB on demand: it is small (entities and their
links, not every note), and a rebuild is cheaper than keeping two copies consistent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

from engine.clock import iso_utc, new_id
from engine.store.connection import Connection


@dataclass(frozen=True)
class Edge:
    id: str
    src_id: str
    dst_id: str
    kind: str
    weight: float


def link(
    conn: Connection,
    src_id: str,
    dst_id: str,
    kind: str,
    *,
    now: datetime,
    device_id: str,
    weight: float = 1.0,
) -> Edge | None:
    """Add an edge unless the same one exists; a repeated link strengthens it instead."""
    if src_id == dst_id:
        return None
    row = conn.execute(
        "SELECT id, weight FROM edges WHERE src_id = ? AND dst_id = ? AND kind = ?", (src_id, dst_id, kind)
    ).fetchone()
    if row:
        conn.execute("UPDATE edges SET weight = weight + 1 WHERE id = ?", (row[0],))
        return Edge(row[0], src_id, dst_id, kind, float(row[1]) + 1)
    edge = Edge(new_id(now), src_id, dst_id, kind, weight)
    conn.execute(
        "INSERT INTO edges (id, src_id, dst_id, kind, weight, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (edge.id, src_id, dst_id, kind, weight, iso_utc(now)),
    )
    return edge


def entity_graph(conn: Connection) -> nx.Graph:
    """Entities as nodes (with type, name, status), entity–entity edges as links."""
    import networkx as nx  # imported on use: it costs a noticeable part of start-up

    graph = nx.Graph()
    for id_, type_, name, status in conn.execute("SELECT id, type, name, status FROM entities"):
        graph.add_node(id_, type=type_, name=name, status=status)
    for src, dst, kind, weight in conn.execute("SELECT src_id, dst_id, kind, weight FROM edges"):
        if src in graph and dst in graph:
            if graph.has_edge(src, dst):
                graph[src][dst]["weight"] += weight
            else:
                graph.add_edge(src, dst, kind=kind, weight=weight)
    return graph


def neighbours(conn: Connection, entity_id: str) -> list[str]:
    graph = entity_graph(conn)
    if entity_id not in graph:
        return []
    return sorted(graph.neighbors(entity_id), key=lambda n: -graph[entity_id][n]["weight"])


def path(conn: Connection, src_id: str, dst_id: str) -> list[str]:
    import networkx as nx

    graph = entity_graph(conn)
    try:
        return list(nx.shortest_path(graph, src_id, dst_id))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []


def view_data(conn: Connection, *, include_archived: bool = True) -> dict[str, Any]:
    """Nodes and links for the graph view, with a layout computed here so the UI only draws."""
    import networkx as nx

    graph = entity_graph(conn)
    if not include_archived:
        graph.remove_nodes_from([n for n, d in graph.nodes(data=True) if d["status"] == "archived"])
    positions = nx.spring_layout(graph, seed=7) if graph.number_of_nodes() else {}
    nodes = [
        {
            "id": n,
            "name": d["name"],
            "type": d["type"],
            "status": d["status"],
            "degree": graph.degree(n),
            "x": float(positions[n][0]) if n in positions else 0.0,
            "y": float(positions[n][1]) if n in positions else 0.0,
        }
        for n, d in graph.nodes(data=True)
    ]
    links = [
        {"source": a, "target": b, "kind": d["kind"], "weight": d["weight"]}
        for a, b, d in graph.edges(data=True)
    ]
    return {"nodes": nodes, "links": links}


def prune_orphans(conn: Connection) -> int:
    """Edges whose ends no longer exist anywhere (after a purge); the heartbeat's index role calls this."""
    cursor = conn.execute(
        "DELETE FROM edges WHERE "
        "NOT EXISTS (SELECT 1 FROM entities WHERE id = src_id) AND NOT EXISTS (SELECT 1 FROM notes WHERE id = src_id) "
        "AND NOT EXISTS (SELECT 1 FROM facts WHERE id = src_id) "
        "OR NOT EXISTS (SELECT 1 FROM entities WHERE id = dst_id) AND NOT EXISTS (SELECT 1 FROM notes WHERE id = dst_id) "
        "AND NOT EXISTS (SELECT 1 FROM facts WHERE id = dst_id)"
    )
    return int(cursor.rowcount)
