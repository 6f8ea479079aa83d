"""The load generator (bench/load.py and its load_* modules) itself keeps working: a few clients for a few seconds
against two real API processes and a worker, every operation of the mix run, zero errors, and
status changes made through one process heard by subscribers on the other. Nothing is timed."""

from bench.load_report import markdown
from bench.load_run import run
from bench.load_world import IMPORT_JOB, MIX, Config, prepare_data
from tests.processes import free_port, running, start_api, start_worker


async def test_load_generator_runs_the_whole_mix_across_two_processes(session):
    port_a, port_b = free_port(), free_port()
    cfg = Config(api_processes=2, clients=len(MIX), subscriptions=8, seconds=3, warmup=0, think_ms=150, orgs=2,
                 buildings=6, ready_apps=1)
    with running(start_api(port_a), start_api(port_b), start_worker()):
        urls = [f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"]
        world = await prepare_data(cfg, urls[0])
        report = await run(cfg, urls, world, say=lambda _m: None)

    ops = {o["op"]: o for o in report["ops"]}
    assert set(ops) == {*MIX, IMPORT_JOB}
    assert report["errors"] == 0, report
    assert all(o["errors"] == 0 for o in ops.values()), report["ops"]
    for name in ("floor_plan", "house_search", "application_list", "notice_list", "create_application",
                 "submit_application", "issue_notices", "confirm_payment"):
        assert ops[name]["count"] > 0, ops[name]
    delivery = report["delivery"]
    assert delivery["changes"] > 0 and delivery["deliveries"] == delivery["expected"] > 0, delivery
    assert delivery["subscription_error_count"] == 0 and delivery["missed"] == 0
    text = markdown(report)
    assert "| floor_plan | read |" in text and "Subscription delivery" in text
