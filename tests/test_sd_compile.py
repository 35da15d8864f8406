"""The GPU speed-up's preparation keeps the UNet's outputs (the compile itself is measured on a GPU by
bench/bench_sd_gpu.py), and asking for it on a CPU is told."""

import copy

import pytest
import torch

from deeper.sd import compile_unet
from deeper.sd.compile import prepare_for_compile
from sd_fixtures import tiny_parts


def test_channels_last_and_fused_qkv_keep_the_outputs():
    unet = tiny_parts().unet
    prepared = copy.deepcopy(unet)
    prepare_for_compile(prepared)
    x, e, t = torch.randn(2, 4, 8, 8), torch.randn(2, 77, 32), torch.tensor(500.0)
    with torch.no_grad():
        assert torch.allclose(unet(x, t, encoder_hidden_states=e).sample,
                              prepared(x, t, encoder_hidden_states=e).sample, atol=1e-5)


def test_compiling_on_a_cpu_is_refused():
    with pytest.raises(ValueError, match="compile_unet needs the parts on a CUDA device"):
        compile_unet(tiny_parts())
