#!/usr/bin/python3
"""Reference cases for @phys/samplers, produced by the reference implementations themselves.

Runs k-diffusion's k_diffusion/sampling.py (crowsonkb/k-diffusion), dpm_solver_pytorch.py
(LuChengTHU/dpm-solver), uni_pc.py (wl-zhao/UniPC) and the `ablation_sampler` function of
NVlabs/edm generate.py (taken out of that file with `ast`, since the rest of it needs EDM's training
packages), read from git mirrors at generation time
(never copied into this repository), in float64 with Debian's python3-torch on an exact 2-D
Gaussian-mixture denoiser, and writes packages/samplers/test/data/reference-cases.json.

Noise: k-diffusion's samplers get a noise_sampler (and, for the churn samplers, torch.randn_like)
that draws from numpy's RandomState and records every draw with the (sigma, sigma_next) it was
asked for; the TypeScript tests replay them. torchsde (k-diffusion's BrownianTree default) and
torchdiffeq are not in Debian: stub modules satisfy the imports, and no code path used here calls
them (every stochastic sampler gets the recorded noise_sampler).

Usage: python3 tools/samplers/make_cases.py [--mirror /work/.mirror] [--out PATH]
Mirrors: fetch github:crowsonkb/k-diffusion, github:LuChengTHU/dpm-solver, github:wl-zhao/UniPC, github:NVlabs/edm
into <mirror>/<owner>+<name>/repo (bare git directories).
"""
import argparse
import ast
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import types

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

MEANS = [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
WEIGHTS = [0.1, 0.2, 0.3, 0.4]
STD = 0.1


def mixture_denoiser(x, sigma):
    """Exact D(x; sigma) of sum_k w_k N(m_k, STD^2 I): posterior-weighted (STD^2 x + sigma^2 m_k)/(STD^2 + sigma^2)."""
    m = torch.tensor(MEANS)
    w = torch.tensor(WEIGHTS)
    s2 = sigma.reshape(-1, 1) ** 2
    var = STD ** 2 + s2  # [B, 1]
    d2 = ((x[:, None, :] - m[None, :, :]) ** 2).sum(-1)  # [B, K]
    logits = torch.log(w)[None, :] - d2 / (2 * var)
    g = torch.softmax(logits, dim=1)
    comp = (STD ** 2 * x[:, None, :] + s2[:, :, None] * m[None, :, :]) / var[:, :, None]
    return (g[:, :, None] * comp).sum(1)


class Counter:
    def __init__(self):
        self.nfe = 0

    def __call__(self, x, sigma, **kwargs):
        self.nfe += 1
        return mixture_denoiser(x, sigma)


def git_source(mirror, repo, path):
    git_dir = os.path.join(mirror, repo, 'repo')
    commit = subprocess.check_output(['git', '--git-dir', git_dir, 'rev-parse', 'HEAD'], text=True).strip()
    src = subprocess.check_output(['git', '--git-dir', git_dir, 'show', f'HEAD:{path}'], text=True)
    return src, commit


def load_module(name, src, package=None):
    mod = types.ModuleType(name)
    mod.__file__ = f'<mirror>/{name}.py'
    if package:
        mod.__package__ = package
    sys.modules[name] = mod
    exec(compile(src, mod.__file__, 'exec'), mod.__dict__)
    return mod


def load_kdiffusion(mirror):
    # Stubs for imports Debian lacks; the samplers used here never call them.
    sys.modules['torchsde'] = types.ModuleType('torchsde')
    tde = types.ModuleType('torchdiffeq')
    tde.odeint = None
    sys.modules['torchdiffeq'] = tde
    tq = types.ModuleType('tqdm')
    tqa = types.ModuleType('tqdm.auto')
    tqa.trange = lambda n, disable=None: range(n)

    class _Bar:
        def __init__(self, *a, **k):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def update(self, *a):
            pass

    tqa.tqdm = _Bar
    sys.modules['tqdm'] = tq
    sys.modules['tqdm.auto'] = tqa
    pkg = types.ModuleType('k_diffusion')
    pkg.__path__ = []
    sys.modules['k_diffusion'] = pkg
    utils = types.ModuleType('k_diffusion.utils')

    def append_dims(x, target_dims):  # k_diffusion.utils.append_dims, whose module pulls in training deps
        return x[(...,) + (None,) * (target_dims - x.ndim)]

    utils.append_dims = append_dims
    sys.modules['k_diffusion.utils'] = utils
    pkg.utils = utils
    src, commit = git_source(mirror, 'crowsonkb+k-diffusion', 'k_diffusion/sampling.py')
    return load_module('k_diffusion.sampling', src, package='k_diffusion'), commit


class Recorder:
    """noise_sampler(sigma, sigma_next) and torch.randn_like stand-in recording every draw."""

    def __init__(self, seed, shape):
        self.rs = np.random.RandomState(seed)
        self.shape = shape
        self.draws = []

    def draw(self, sigma=None, sigma_next=None):
        z = torch.tensor(self.rs.standard_normal(self.shape))
        self.draws.append({
            'sigma': None if sigma is None else float(sigma),
            'sigma_next': None if sigma_next is None else float(sigma_next),
            'noise': z.flatten().tolist(),
        })
        return z

    def __call__(self, sigma, sigma_next):
        return self.draw(sigma, sigma_next)


class TorchProxy:
    """The k-diffusion module's `torch` with randn_like drawing from a Recorder."""

    def __init__(self, recorder):
        self.recorder = recorder

    def __getattr__(self, name):
        return getattr(torch, name)

    def randn_like(self, x, *a, **k):
        return self.recorder.draw()


def karras(n, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    return [((sigma_max ** (1 / rho)) + i / (n - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho for i in range(n)] + [0.0]


def x_init(seed, sigma_max, rows=3):
    rs = np.random.RandomState(seed)
    return torch.tensor(rs.standard_normal((rows, 2))) * sigma_max


def kd_cases(kd):
    out = []
    schedules = {'karras6': karras(6), 'karras12': karras(12)}

    def run(name, fn, sched, options, seed, call):
        sigmas = schedules[sched]
        x0 = x_init(seed, sigmas[0])
        rec = Recorder(seed + 1000, tuple(x0.shape))
        kd.torch = TorchProxy(rec)
        model = Counter()
        x = call(kd, model, x0.clone(), torch.tensor(sigmas), rec)
        kd.torch = torch
        out.append({'name': name, 'reference': f'k-diffusion {fn}', 'sampler': fn, 'options': options, 'sigmas': sigmas,
                    'x0': x0.flatten().tolist(), 'shape': list(x0.shape), 'noise': rec.draws, 'nfe': model.nfe,
                    'x': x.flatten().tolist()})

    for sched in schedules:
        run(f'euler {sched}', 'sample_euler', sched, {}, 1, lambda kd, m, x, s, r: kd.sample_euler(m, x, s, disable=True))
        churn = {'s_churn': 2.0, 's_tmin': 0.05, 's_tmax': 10.0, 's_noise': 1.003}
        run(f'euler churn {sched}', 'sample_euler', sched, churn, 2, lambda kd, m, x, s, r: kd.sample_euler(m, x, s, disable=True, **churn))
        run(f'heun churn {sched}', 'sample_heun', sched, churn, 3, lambda kd, m, x, s, r: kd.sample_heun(m, x, s, disable=True, **churn))
        run(f'dpm_2 {sched}', 'sample_dpm_2', sched, {}, 4, lambda kd, m, x, s, r: kd.sample_dpm_2(m, x, s, disable=True))
        run(f'dpm_2 churn {sched}', 'sample_dpm_2', sched, churn, 5, lambda kd, m, x, s, r: kd.sample_dpm_2(m, x, s, disable=True, **churn))
        run(f'euler_ancestral {sched}', 'sample_euler_ancestral', sched, {'eta': 1.0}, 6,
            lambda kd, m, x, s, r: kd.sample_euler_ancestral(m, x, s, disable=True, noise_sampler=r))
        anc = {'eta': 0.6, 's_noise': 1.01}
        run(f'euler_ancestral eta 0.6 {sched}', 'sample_euler_ancestral', sched, anc, 7,
            lambda kd, m, x, s, r: kd.sample_euler_ancestral(m, x, s, disable=True, noise_sampler=r, **anc))
        run(f'dpm_2_ancestral {sched}', 'sample_dpm_2_ancestral', sched, {'eta': 1.0}, 8,
            lambda kd, m, x, s, r: kd.sample_dpm_2_ancestral(m, x, s, disable=True, noise_sampler=r))
        run(f'lms {sched}', 'sample_lms', sched, {'order': 4}, 9, lambda kd, m, x, s, r: kd.sample_lms(m, x, s, disable=True))
        run(f'dpmpp_2s_ancestral {sched}', 'sample_dpmpp_2s_ancestral', sched, {'eta': 1.0}, 10,
            lambda kd, m, x, s, r: kd.sample_dpmpp_2s_ancestral(m, x, s, disable=True, noise_sampler=r))
        run(f'dpmpp_sde {sched}', 'sample_dpmpp_sde', sched, {'eta': 1.0, 'r': 0.5}, 11,
            lambda kd, m, x, s, r: kd.sample_dpmpp_sde(m, x, s, disable=True, noise_sampler=r))
        run(f'dpmpp_sde eta 0 {sched}', 'sample_dpmpp_sde', sched, {'eta': 0.0, 'r': 0.5}, 12,
            lambda kd, m, x, s, r: kd.sample_dpmpp_sde(m, x, s, disable=True, noise_sampler=r, eta=0.0))
        run(f'dpmpp_2m {sched}', 'sample_dpmpp_2m', sched, {}, 13, lambda kd, m, x, s, r: kd.sample_dpmpp_2m(m, x, s, disable=True))
        for st in ['midpoint', 'heun']:
            run(f'dpmpp_2m_sde {st} {sched}', 'sample_dpmpp_2m_sde', sched, {'eta': 1.0, 'solver_type': st}, 14,
                lambda kd, m, x, s, r, st=st: kd.sample_dpmpp_2m_sde(m, x, s, disable=True, noise_sampler=r, solver_type=st))
        run(f'dpmpp_2m_sde eta 0 {sched}', 'sample_dpmpp_2m_sde', sched, {'eta': 0.0, 'solver_type': 'midpoint'}, 15,
            lambda kd, m, x, s, r: kd.sample_dpmpp_2m_sde(m, x, s, disable=True, noise_sampler=r, eta=0.0))
        run(f'dpmpp_3m_sde {sched}', 'sample_dpmpp_3m_sde', sched, {'eta': 1.0}, 16,
            lambda kd, m, x, s, r: kd.sample_dpmpp_3m_sde(m, x, s, disable=True, noise_sampler=r))
        run(f'dpmpp_3m_sde eta 0 {sched}', 'sample_dpmpp_3m_sde', sched, {'eta': 0.0}, 17,
            lambda kd, m, x, s, r: kd.sample_dpmpp_3m_sde(m, x, s, disable=True, noise_sampler=r, eta=0.0))
        # DPM-Solver fast / adaptive between the schedule's end points (no final 0).
        smin, smax = schedules[sched][-2], schedules[sched][0]
        nfe = len(schedules[sched]) - 2
        for eta in [0.0, 0.5]:
            run(f'dpm_fast eta {eta} {sched}', 'sample_dpm_fast', sched, {'eta': eta, 'n': nfe}, 18,
                lambda kd, m, x, s, r, eta=eta: kd.sample_dpm_fast(m, x, smin, smax, nfe, disable=True, eta=eta, noise_sampler=r))
    for order in [2, 3]:
        run(f'dpm_adaptive order {order}', 'sample_dpm_adaptive', 'karras6', {'order': order}, 19,
            lambda kd, m, x, s, r, order=order: kd.sample_dpm_adaptive(m, x, 0.002, 80.0, disable=True, order=order, noise_sampler=r))
    run('dpm_adaptive order 3 eta 0.5', 'sample_dpm_adaptive', 'karras6', {'order': 3, 'eta': 0.5}, 20,
        lambda kd, m, x, s, r: kd.sample_dpm_adaptive(m, x, 0.002, 80.0, disable=True, order=3, eta=0.5, noise_sampler=r))
    return out


class EdmNoiseSchedule:
    """alpha = 1, sigma_t = t, lambda = -log t: the references' solvers in EDM's sigma as time."""

    def __init__(self, sigma_max):
        self.T = sigma_max
        self.total_N = 1000

    def marginal_log_mean_coeff(self, t):
        return torch.zeros_like(t)

    def marginal_alpha(self, t):
        return torch.ones_like(t)

    def marginal_std(self, t):
        return t

    def marginal_lambda(self, t):
        return -torch.log(t)

    def inverse_lambda(self, lamb):
        return torch.exp(-lamb)


def grid_solver_cases(mod, cls_name, ref, configs):
    out = []
    for cfg in configs:
        levels = cfg['levels']
        sigmas = karras(levels)
        positive = sigmas[:-1] if cfg['to_zero'] else sigmas[:-2]
        if len(positive) - 1 < cfg['sample']['order']:
            continue  # the references assert steps >= order
        x0 = x_init(cfg['seed'], positive[0])
        model = Counter()

        def model_fn(x, t):  # noise prediction; uni_pc.py's einsum needs [B, C, H, W] states
            flat = x.reshape(x.shape[0], -1)
            return ((flat - model(flat, t)) / t.reshape(-1, 1)).reshape(x.shape)

        ns = EdmNoiseSchedule(positive[0])
        kwargs = dict(cfg['ctor'])
        solver = getattr(mod, cls_name)(model_fn, ns, **kwargs)
        solver.get_time_steps = lambda skip_type, t_T, t_0, N, device, p=positive: torch.tensor(p)
        with contextlib.redirect_stdout(io.StringIO()):
            x = solver.sample(x0.clone().reshape(-1, 1, 1, 2), steps=len(positive) - 1, t_start=positive[0], t_end=positive[-1], method='multistep',
                              denoise_to_zero=cfg['to_zero'], **cfg['sample'])
        phys_sigmas = positive + ([0.0] if cfg['to_zero'] else [])
        out.append({'name': cfg['name'], 'reference': ref, 'sampler': cfg['sampler'], 'options': {**cfg['ctor'], **cfg['sample']},
                    'sigmas': phys_sigmas, 'x0': x0.flatten().tolist(), 'shape': list(x0.shape), 'noise': [], 'nfe': model.nfe,
                    'x': x.flatten().tolist()})
    return out


def dpm_cases(mod):
    configs = []
    for levels in [4, 6, 9, 12]:
        for order in [2, 3]:
            for to_zero in [True, False]:
                configs.append({'name': f'dpmsolver++ {order}M, {levels} levels, denoise_to_zero={to_zero}', 'sampler': 'dpm_solver_multistep',
                                'levels': levels, 'to_zero': to_zero, 'seed': 30 + levels + order,
                                'ctor': {'algorithm_type': 'dpmsolver++'}, 'sample': {'order': order, 'lower_order_final': True}})
    configs.append({'name': 'dpmsolver++ 2M taylor, 6 levels', 'sampler': 'dpm_solver_multistep', 'levels': 6, 'to_zero': True, 'seed': 50,
                    'ctor': {'algorithm_type': 'dpmsolver++'}, 'sample': {'order': 2, 'lower_order_final': True, 'solver_type': 'taylor'}})
    configs.append({'name': 'dpmsolver++ 3M no lower_order_final, 6 levels', 'sampler': 'dpm_solver_multistep', 'levels': 6, 'to_zero': True,
                    'seed': 51, 'ctor': {'algorithm_type': 'dpmsolver++'}, 'sample': {'order': 3, 'lower_order_final': False}})
    return configs


def unipc_cases():
    configs = []
    for variant in ['bh1', 'bh2']:
        for order in [1, 2, 3]:
            for levels, to_zero in [(5, True), (12, True), (8, False)]:
                configs.append({'name': f'unipc {variant} order {order}, {levels} levels, denoise_to_zero={to_zero}', 'sampler': 'unipc',
                                'levels': levels, 'to_zero': to_zero, 'seed': 60 + order + levels,
                                'ctor': {'algorithm_type': 'data_prediction', 'variant': variant}, 'sample': {'order': order, 'lower_order_final': True}})
    configs.append({'name': 'unipc bh2 order 3 no lower_order_final, 8 levels', 'sampler': 'unipc', 'levels': 8, 'to_zero': True, 'seed': 70,
                    'ctor': {'algorithm_type': 'data_prediction', 'variant': 'bh2'}, 'sample': {'order': 3, 'lower_order_final': False}})
    return configs


def load_edm_ablation(mirror):
    src, commit = git_source(mirror, 'NVlabs+edm', 'generate.py')
    fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == 'ablation_sampler')
    scope = {'np': np, 'torch': torch}
    exec(compile(ast.get_source_segment(src, fn), '<mirror>/generate.py', 'exec'), scope)
    return scope['ablation_sampler'], commit


class EdmNet:
    """The network interface ablation_sampler uses, around the exact mixture denoiser."""
    sigma_min = 0
    sigma_max = float('inf')

    def __init__(self):
        self.nfe = 0

    def round_sigma(self, sigma):
        return torch.as_tensor(sigma)

    def __call__(self, x, sigma, class_labels=None):
        self.nfe += 1
        return mixture_denoiser(x, torch.as_tensor(sigma).reshape(-1).expand(x.shape[0]))


def edm_cases(ablation):
    out = []
    configs = [
        {'discretization': 'vp', 'schedule': 'vp', 'scaling': 'vp'},
        {'discretization': 've', 'schedule': 've', 'scaling': 'none'},
        {'discretization': 'iddpm', 'schedule': 'linear', 'scaling': 'none'},
        {'discretization': 'edm', 'schedule': 'linear', 'scaling': 'none', 'alpha': 0.5},
        {'discretization': 'edm', 'schedule': 'vp', 'scaling': 'vp', 'S_churn': 10.0, 'S_min': 0.05, 'S_max': 50.0, 'S_noise': 1.007},
        {'discretization': 'vp', 'schedule': 'linear', 'scaling': 'none', 'solver': 'euler'},
        {'discretization': 'iddpm', 'schedule': 'vp', 'scaling': 'vp', 'alpha': 0.8},
    ]
    for k, cfg in enumerate(configs):
        rs = np.random.RandomState(80 + k)
        latents = torch.tensor(rs.standard_normal((3, 2)))
        rec = Recorder(180 + k, (3, 2))
        net = EdmNet()
        x = ablation(net, latents, randn_like=lambda x: rec.draw(), num_steps=8, **cfg)
        out.append({'name': 'edm ablation ' + ', '.join(f'{a}={b}' for a, b in cfg.items()), 'reference': 'NVlabs/edm generate.py ablation_sampler',
                    'sampler': 'edm_ablation', 'options': cfg, 'latents': latents.flatten().tolist(), 'shape': [3, 2], 'noise': rec.draws,
                    'nfe': net.nfe, 'x': x.flatten().tolist()})
    return out


def schedule_cases(kd):
    out = []
    for n in [2, 5, 18]:
        out.append({'kind': 'karras', 'n': n, 'sigma_min': 0.002, 'sigma_max': 80.0, 'rho': 7.0,
                    'sigmas': kd.get_sigmas_karras(n, 0.002, 80.0, 7.0).tolist()})
        out.append({'kind': 'exponential', 'n': n, 'sigma_min': 0.002, 'sigma_max': 80.0,
                    'sigmas': kd.get_sigmas_exponential(n, 0.002, 80.0).tolist()})
        for rho in [0.5, 1.0, 2.0]:
            out.append({'kind': 'polyexponential', 'n': n, 'sigma_min': 0.002, 'sigma_max': 80.0, 'rho': rho,
                        'sigmas': kd.get_sigmas_polyexponential(n, 0.002, 80.0, rho).tolist()})
        out.append({'kind': 'vp', 'n': n, 'beta_d': 19.9, 'beta_min': 0.1, 'eps_s': 1e-3, 'sigmas': kd.get_sigmas_vp(n).tolist()})
        out.append({'kind': 'vp', 'n': n, 'beta_d': 10.0, 'beta_min': 0.5, 'eps_s': 1e-2, 'sigmas': kd.get_sigmas_vp(n, 10.0, 0.5, 1e-2).tolist()})
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('--mirror', default='/work/.mirror')
    ap.add_argument('--out', default=os.path.join(here, '..', '..', 'packages', 'samplers', 'test', 'data', 'reference-cases.json'))
    args = ap.parse_args()
    kd, kd_commit = load_kdiffusion(args.mirror)
    dpm_src, dpm_commit = git_source(args.mirror, 'LuChengTHU+dpm-solver', 'dpm_solver_pytorch.py')
    dpm = load_module('dpm_solver_pytorch', dpm_src)
    uni_src, uni_commit = git_source(args.mirror, 'wl-zhao+UniPC', 'uni_pc.py')
    uni = load_module('uni_pc', uni_src)
    cases = kd_cases(kd)
    cases += grid_solver_cases(dpm, 'DPM_Solver', 'dpm_solver_pytorch DPM_Solver.sample', dpm_cases(dpm))
    cases += grid_solver_cases(uni, 'UniPC', 'uni_pc UniPC.sample', unipc_cases())
    ablation, edm_commit = load_edm_ablation(args.mirror)
    cases += edm_cases(ablation)
    doc = {
        'generator': 'tools/samplers/make_cases.py',
        'references': {
            'k-diffusion': f'crowsonkb/k-diffusion@{kd_commit} k_diffusion/sampling.py',
            'dpm-solver': f'LuChengTHU/dpm-solver@{dpm_commit} dpm_solver_pytorch.py',
            'unipc': f'wl-zhao/UniPC@{uni_commit} uni_pc.py',
            'edm': f'NVlabs/edm@{edm_commit} generate.py ablation_sampler',
        },
        'torch': torch.__version__,
        'dtype': 'float64',
        'mixture': {'means': MEANS, 'weights': WEIGHTS, 'std': STD},
        'cases': cases,
        'schedules': schedule_cases(kd),
    }
    with open(args.out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'{len(cases)} cases -> {os.path.relpath(args.out)}')


if __name__ == '__main__':
    main()
