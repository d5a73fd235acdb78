"""The bfloat16 kernel benchmark's HLO reading and report, on hand-made inputs."""

import harness
import bf16_kernels

# Excerpts of XLA CPU programs: a convolution run in float32 between converts, and one in bfloat16.
UPCAST = """
  %wrapped_convert = f32[64,14,14,64]{3,2,1,0} fusion(%x.1), kind=kLoop
  ROOT %conv_general_dilated.0 = f32[64,14,14,64]{3,2,1,0} convolution(%param_0, %param_1), window={size=3x3}
  ROOT %wrapped_convert.2 = bf16[64,14,14,64]{3,2,1,0} fusion(%ynn_fusion), kind=kLoop
"""
NATIVE = "  ROOT %dot.0 = bf16[512,512]{1,0} dot(%a, %a), lhs_contracting_dims={1}"


def test_compute_dtype_reads_the_arithmetic_not_the_converts():
    assert bf16_kernels.compute_dtype(UPCAST, "convolution") == "f32"
    assert bf16_kernels.compute_dtype(NATIVE, "dot") == "bf16"
    assert bf16_kernels.compute_dtype(NATIVE, "convolution") is None


def test_report_has_a_row_per_framework_and_kernel_and_names_the_upcast():
    def kernels(speedup):
        return {name: {"gflops_float32": 100.0, "gflops_bfloat16": 100.0 * speedup,
                       "bf16_speedup": speedup} for name in bf16_kernels.KERNELS}
    results = [{"framework": "torch", "version": "2.0", "kernels": kernels(2.0)},
               {"framework": "jax", "version": "0.1", "kernels": kernels(1.0),
                "compute_dtypes": {"conv": "f32", "matmul": "bf16"}}]
    report = bf16_kernels.format_report(results, harness.Provenance("bf16_kernels.py"))
    assert "| torch 2.0 | conv | 100.0 | 200.0 | 2.00x |  |" in report
    assert "| jax 0.1 | conv | 100.0 | 100.0 | 1.00x | float32 (converts bf16 in and out) |" in report
    assert "| jax 0.1 | matmul | 100.0 | 100.0 | 1.00x | bfloat16 |" in report


def test_time_call_calls_at_least_once_and_reports_cpu_seconds_per_call():
    calls = []
    seconds = bf16_kernels.time_call(lambda: calls.append(sum(range(10000))), min_seconds=0.0)
    assert len(calls) == 1 and seconds >= 0.0
