"""The benchmark workload: our own source rebuilds to the committed image, and it executes the
instruction count its header states (the benchmark's MIPS figure rests on that count)."""



from tests.benchmarks.bench_cpu import IMAGE, instruction_count, run_ours, workload_outer


def test_workload_runs_its_stated_instruction_count():
    sector = bytearray(IMAGE.read_bytes()[:512])
    sector[2:4] = (3).to_bytes(2, "little")          # OUTER = 3 keeps the test quick
    ran, _ = run_ours(bytes(sector))
    assert ran == instruction_count(3) == 13 + 3 * 35_003
    assert workload_outer(IMAGE.read_bytes()) == 2000
