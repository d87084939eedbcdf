/* GStreamer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gst-acs: CPU cost of mix-minus for N members, 48 kHz mono, 20 ms frames:
 *   - acsmixer producing all N outputs (top-k = N: everyone is mixed, the
 *     same job as the others; and the default top-k = 3);
 *   - the same job built from GStreamer's audiomixer: N audiomixer
 *     instances, each mixing the other N - 1 members;
 *   - a plain C loop of the same algorithm (sum once in 32 bits, subtract
 *     each member's own samples, saturate once).
 * Inputs are pre-built buffers pushed from one thread straight into the
 * sink pads, outputs are dropped by sink pads that count them; elements run
 * non-live, as fast as they can. Cost is process CPU time
 * (CLOCK_PROCESS_CPUTIME_ID, all threads) per second of audio.
 *
 * Usage: acs-mixer-bench [--n 10,100,1000] [--seconds S] [--audiomixer-max N]
 * Prints a table on stderr and JSON lines on stdout; audiomixer figures for
 * N above --audiomixer-max are extrapolated from the growth measured
 * between the two largest measured N, and labelled "extrapolated".
 * Exit status 1 when acsmixer (top-k = N) is not within 3x of the C loop,
 * in CPU time (median of --reps interleaved runs) or in instructions.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"

#ifdef HAVE_VALGRIND_CALLGRIND_H
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS do { } while (0)
#define CALLGRIND_DUMP_STATS_AT(s) do { } while (0)
#endif

#define RATE 48000
#define FRAMES 960
#define PERIOD (20 * GST_MSECOND)
#define CAPS "audio/x-raw, format=S16LE, rate=48000, channels=1, " \
    "layout=interleaved"

static gint outputs_left;       /* atomic */
static GMutex done_lock;
static GCond done_cond;

static GstFlowReturn
count_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  gst_buffer_unref (buf);
  if (g_atomic_int_dec_and_test (&outputs_left)) {
    g_mutex_lock (&done_lock);
    g_cond_signal (&done_cond);
    g_mutex_unlock (&done_lock);
  }
  return GST_FLOW_OK;
}

static GstPad *
new_counter (void)
{
  GstPad *pad = gst_pad_new ("count", GST_PAD_SINK);

  gst_pad_set_chain_function (pad, count_chain);
  gst_pad_set_event_function (pad, bench_drop_event);
  gst_pad_set_active (pad, TRUE);
  return pad;
}

static GstPad *
new_feeder (GstPad * sink, guint id)
{
  gchar *sid = g_strdup_printf ("feed-%u", id);
  GstPad *pad = bench_new_feeder (sink, sid, CAPS, FALSE);

  g_free (sid);
  return pad;
}

static gint16 **
make_inputs (guint n)
{
  gint16 **in = g_new (gint16 *, n);
  GRand *r = g_rand_new_with_seed (42);
  guint m, i;

  for (m = 0; m < n; m++) {
    in[m] = g_new (gint16, FRAMES);
    for (i = 0; i < FRAMES; i++)
      in[m][i] = (gint16) g_rand_int_range (r, -3000, 3000);
  }
  g_rand_free (r);
  return in;
}

/* buffers[p * n + m]: member m's frame of period p, sharing memory */
static GstBuffer **
make_buffers (gint16 ** in, guint n, guint periods)
{
  GstBuffer **b = g_new (GstBuffer *, (gsize) n * periods);
  guint m, p;

  for (m = 0; m < n; m++) {
    GstBuffer *base = gst_buffer_new_memdup (in[m], FRAMES * 2);

    for (p = 0; p < periods; p++) {
      GstBuffer *c = gst_buffer_copy (base);

      GST_BUFFER_PTS (c) = p * PERIOD;
      GST_BUFFER_DURATION (c) = PERIOD;
      GST_BUFFER_OFFSET (c) = (guint64) p *FRAMES;
      b[(gsize) p * n + m] = c;
    }
    gst_buffer_unref (base);
  }
  return b;
}

static void
wait_outputs (void)
{
  g_mutex_lock (&done_lock);
  while (g_atomic_int_get (&outputs_left) > 0)
    g_cond_wait (&done_cond, &done_lock);
  g_mutex_unlock (&done_lock);
}

/* Periods pushed before the measured ones: caps, allocations, the first
 * selection; neither timed nor counted */
#define WARMUP 5

/* Under callgrind (--one ... --counted), the instruction counters of every
 * thread are zeroed just before the measured periods and dumped just after
 * their last output arrived: the dump holds exactly the measured work,
 * whichever thread did it (the aggregators' source pad tasks do most). */
static gboolean opt_counted = FALSE;

static void
measure_start (double *t0)
{
  if (opt_counted)
    CALLGRIND_ZERO_STATS;
  *t0 = bench_cpu_now ();
}

static double
measure_stop (double t0)
{
  double t1 = bench_cpu_now ();

  if (opt_counted)
    CALLGRIND_DUMP_STATS_AT ("measured");
  return t1 - t0;
}

/* CPU seconds per second of audio */
static double
run_acsmixer (gint16 ** in, guint n, guint k, guint periods)
{
  GstElement *mixer = gst_element_factory_make ("acsmixer", NULL);
  GstPad **feed = g_new (GstPad *, n), **cnt = g_new (GstPad *, n);
  GstBuffer **bufs;
  double t0, t;
  guint m, p;

  if (!mixer) {
    g_printerr ("acsmixer not found (GST_PLUGIN_PATH_1_0?)\n");
    exit (2);
  }
  g_object_set (mixer, "top-k", k, NULL);
  for (m = 0; m < n; m++) {
    gchar *name = g_strdup_printf ("src_%u", m);
    GstPad *src = gst_element_request_pad_simple (mixer, name);

    g_free (name);
    cnt[m] = new_counter ();
    g_assert (gst_pad_link (src, cnt[m]) == GST_PAD_LINK_OK);
    gst_object_unref (src);
  }
  gst_element_set_state (mixer, GST_STATE_PLAYING);
  for (m = 0; m < n; m++) {
    gchar *name = g_strdup_printf ("sink_%u", m);
    GstPad *sink = gst_element_request_pad_simple (mixer, name);

    g_free (name);
    feed[m] = new_feeder (sink, m);
    gst_object_unref (sink);
  }
  bufs = make_buffers (in, n, WARMUP + periods);

  g_atomic_int_set (&outputs_left, (gint) (n * WARMUP));
  for (p = 0; p < WARMUP; p++)
    for (m = 0; m < n; m++)
      gst_pad_push (feed[n - 1 - m], bufs[(gsize) p * n + (n - 1 - m)]);
  wait_outputs ();

  g_atomic_int_set (&outputs_left, (gint) (n * periods));
  measure_start (&t0);
  for (p = WARMUP; p < WARMUP + periods; p++)
    for (m = 0; m < n; m++)
      gst_pad_push (feed[n - 1 - m], bufs[(gsize) p * n + (n - 1 - m)]);
  wait_outputs ();
  t = measure_stop (t0);

  gst_element_set_state (mixer, GST_STATE_NULL);
  for (m = 0; m < n; m++) {
    gst_object_unref (feed[m]);
    gst_object_unref (cnt[m]);
  }
  gst_object_unref (mixer);
  g_free (feed);
  g_free (cnt);
  g_free (bufs);
  return t / (periods * 0.02);
}

static double
run_audiomixer (gint16 ** in, guint n, guint periods)
{
  GstElement **mix = g_new (GstElement *, n);
  GstPad **feed = g_new0 (GstPad *, (gsize) n * n);
  GstPad **cnt = g_new (GstPad *, n);
  GstBuffer **bufs;
  double t0, t;
  guint m, j, p;

  for (j = 0; j < n; j++) {
    GstPad *src;

    mix[j] = gst_element_factory_make ("audiomixer", NULL);
    if (!mix[j]) {
      g_printerr ("audiomixer not found\n");
      exit (2);
    }
    g_object_set (mix[j], "output-buffer-duration", PERIOD, NULL);
    src = gst_element_get_static_pad (mix[j], "src");
    cnt[j] = new_counter ();
    g_assert (gst_pad_link (src, cnt[j]) == GST_PAD_LINK_OK);
    gst_object_unref (src);
    gst_element_set_state (mix[j], GST_STATE_PLAYING);
    for (m = 0; m < n; m++) {
      GstPad *sink;

      if (m == j)
        continue;
      sink = gst_element_request_pad_simple (mix[j], "sink_%u");
      feed[(gsize) j * n + m] = new_feeder (sink, m);
      gst_object_unref (sink);
    }
  }
  bufs = make_buffers (in, n, WARMUP + periods);

  for (p = 0; p < WARMUP + periods; p++) {
    if (p == 0)
      g_atomic_int_set (&outputs_left, (gint) (n * WARMUP));
    if (p == WARMUP) {
      wait_outputs ();
      g_atomic_int_set (&outputs_left, (gint) (n * periods));
      measure_start (&t0);
    }
    for (m = 0; m < n; m++) {
      GstBuffer *b = bufs[(gsize) p * n + m];

      for (j = 0; j < n; j++)
        if (j != m)
          gst_pad_push (feed[(gsize) j * n + m], gst_buffer_ref (b));
      gst_buffer_unref (b);
    }
  }
  wait_outputs ();
  t = measure_stop (t0);

  for (j = 0; j < n; j++) {
    gst_element_set_state (mix[j], GST_STATE_NULL);
    for (m = 0; m < n; m++)
      if (feed[(gsize) j * n + m])
        gst_object_unref (feed[(gsize) j * n + m]);
    gst_object_unref (cnt[j]);
    gst_object_unref (mix[j]);
  }
  g_free (mix);
  g_free (feed);
  g_free (cnt);
  g_free (bufs);
  return t / (periods * 0.02);
}

static void __attribute__((noinline))
    c_loop_period (gint16 ** in, gint16 ** out, gint32 * restrict sum, guint n)
{
  guint m, i;

  memset (sum, 0, FRAMES * sizeof (gint32));
  for (m = 0; m < n; m++) {
    const gint16 *restrict x = in[m];

    for (i = 0; i < FRAMES; i++)
      sum[i] += x[i];
  }
  for (m = 0; m < n; m++) {
    const gint16 *restrict x = in[m];
    gint16 *restrict o = out[m];

    for (i = 0; i < FRAMES; i++) {
      gint32 v = sum[i] - x[i];

      o[i] = CLAMP (v, G_MININT16, G_MAXINT16);
    }
  }
}

static double
run_c_loop (gint16 ** in, guint n, guint periods)
{
  gint16 **out = g_new (gint16 *, n);
  gint32 *sum = g_new (gint32, FRAMES);
  double t0, t;
  guint m, p;
  volatile gint16 sink = 0;

  for (m = 0; m < n; m++)
    out[m] = g_new0 (gint16, FRAMES);
  c_loop_period (in, out, sum, n);
  measure_start (&t0);
  for (p = 0; p < periods; p++) {
    c_loop_period (in, out, sum, n);
    sink += out[p % n][p % FRAMES];
  }
  t = measure_stop (t0);
  for (m = 0; m < n; m++)
    g_free (out[m]);
  g_free (out);
  g_free (sum);
  (void) sink;
  return t / (periods * 0.02);
}

static void
emit (const gchar * impl, guint n, gint k, double v, const gchar * how,
    guint periods)
{
  g_print ("{\"bench\": \"mix-minus\", \"impl\": \"%s\", \"n\": %u, "
      "\"top_k\": %d, \"cpu_s_per_audio_s\": %.6f, \"audio_s\": %.2f, "
      "\"figure\": \"%s\"}\n", impl, n, k, v, periods * 0.02, how);
}

#define MAX_REPS 15

/* median of v[0..n-1] (sorted in place), and its range */
static double
median (double *v, gint n, double *lo, double *hi)
{
  gint i, j;

  for (i = 1; i < n; i++)
    for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
      double t = v[j];

      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  *lo = v[0];
  *hi = v[n - 1];
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static gchar *opt_valgrind = NULL;
static gchar *opt_callgrind_dir = NULL;

/* Runs this program under callgrind for one implementation; returns the
 * instructions per period of the measured periods, or -1 */
static double
count_instructions (const gchar * self, const gchar * impl, guint n, guint k,
    guint periods)
{
  gchar *out = g_strdup_printf ("%s/%s-n%u-k%u.out", opt_callgrind_dir, impl,
      n, k);
  gchar *out_opt = g_strdup_printf ("--callgrind-out-file=%s", out);
  gchar *dump = g_strdup_printf ("%s.1", out);
  gchar *n_s = g_strdup_printf ("%u", n), *k_s = g_strdup_printf ("%u", k);
  gchar *p_s = g_strdup_printf ("%u", periods);
  const gchar *argv[] = { opt_valgrind, "--tool=callgrind", out_opt,
    self, "--one", impl, "--n", n_s, "--k", k_s, "--periods", p_s,
    "--counted", NULL
  };
  gchar *contents = NULL, *line;
  GError *err = NULL;
  gint status;
  double ir = -1;

  g_unlink (dump);
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL
          | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &err)
      || !g_spawn_check_wait_status (status, &err)) {
    g_printerr ("callgrind run of %s n=%u failed: %s\n", impl, n, err->message);
    g_clear_error (&err);
    goto done;
  }
  if (!g_file_get_contents (dump, &contents, NULL, NULL))
    goto done;
  line = strstr (contents, "\ntotals:");
  if (!line)
    line = strstr (contents, "\nsummary:");
  if (line)
    ir = g_ascii_strtod (strchr (line + 1, ':') + 1, NULL) / periods;

done:
  g_free (contents);
  g_free (out);
  g_free (out_opt);
  g_free (dump);
  g_free (n_s);
  g_free (k_s);
  g_free (p_s);
  return ir;
}

static double
run_one (const gchar * impl, guint n, guint k, guint periods)
{
  gint16 **in = make_inputs (n);
  double v;
  guint m;

  if (!strcmp (impl, "c-loop"))
    v = run_c_loop (in, n, periods);
  else if (!strcmp (impl, "acsmixer"))
    v = run_acsmixer (in, n, k, periods);
  else if (!strcmp (impl, "audiomixer"))
    v = run_audiomixer (in, n, periods);
  else {
    g_printerr ("unknown implementation %s\n", impl);
    exit (2);
  }
  for (m = 0; m < n; m++)
    g_free (in[m]);
  g_free (in);
  return v;
}

int
main (int argc, char **argv)
{
  gchar *n_list = NULL, *one = NULL;
  gdouble seconds = 2.0;
  gint am_max = 100, cg_am_max = 10, cg_periods = 20, one_n = 10, one_k = 3;
  gint one_periods = 50, reps = 3;
  gboolean no_callgrind = FALSE;
  GOptionEntry entries[] = {
    {"n", 0, 0, G_OPTION_ARG_STRING, &n_list, "Members, comma-separated",
        "10,100,1000"},
    {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds,
        "Seconds of audio per acsmixer and C loop run (CPU time)", "S"},
    {"audiomixer-max", 0, 0, G_OPTION_ARG_INT, &am_max,
          "Largest N run with audiomixer (CPU time); above it, extrapolated",
        "N"},
    {"reps", 0, 0, G_OPTION_ARG_INT, &reps,
        "Interleaved CPU-time runs of the C loop and acsmixer per N, median "
          "reported (default 3, at most 15)", "R"},
    {"no-callgrind", 0, 0, G_OPTION_ARG_NONE, &no_callgrind,
        "Do not count instructions (CPU time only)", NULL},
    {"callgrind-periods", 0, 0, G_OPTION_ARG_INT, &cg_periods,
        "Measured periods of a callgrind run (default 20)", "P"},
    {"callgrind-audiomixer-max", 0, 0, G_OPTION_ARG_INT, &cg_am_max,
        "Largest N whose audiomixer build is counted (default 10)", "N"},
    {"callgrind-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_callgrind_dir,
          "Where the callgrind files go (default: a temporary directory)",
        "DIR"},
    {"valgrind", 0, 0, G_OPTION_ARG_FILENAME, &opt_valgrind,
        "valgrind executable (default: from PATH)", "PATH"},
    {"one", 0, 0, G_OPTION_ARG_STRING, &one,
        "Run one implementation (c-loop, acsmixer, audiomixer) and print "
          "its CPU time", "IMPL"},
    {"k", 0, 0, G_OPTION_ARG_INT, &one_k, "With --one: top-k", "K"},
    {"periods", 0, 0, G_OPTION_ARG_INT, &one_periods,
        "With --one: measured periods", "P"},
    {"counted", 0, 0, G_OPTION_ARG_NONE, &opt_counted,
        "With --one under callgrind: zero the counters before the measured "
          "periods and dump them after", NULL},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- acsmixer mix-minus cost");
  GError *err = NULL;
  gchar **ns;
  guint i;
  gboolean ok = TRUE, counted;
  double am_prev_n = 0, am_prev = 0, am_last_n = 0, am_last = 0;
  gchar *tmpdir = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  gst_init (NULL, NULL);
  reps = CLAMP (reps, 1, MAX_REPS);

  if (one) {
    if (n_list)
      one_n = atoi (n_list);
    g_print ("%.6f\n", run_one (one, one_n, one_k, one_periods));
    return 0;
  }

  if (!opt_valgrind)
    opt_valgrind = g_find_program_in_path ("valgrind");
  counted = !no_callgrind && opt_valgrind != NULL;
#ifndef HAVE_VALGRIND_CALLGRIND_H
  counted = FALSE;
#endif
  if (counted && !opt_callgrind_dir)
    opt_callgrind_dir = tmpdir = g_dir_make_tmp ("acs-mixer-bench-XXXXXX",
        NULL);
  if (counted)
    g_mkdir_with_parents (opt_callgrind_dir, 0755);
  if (!counted)
    g_printerr ("no callgrind: CPU time only, target judged on CPU time\n");

  ns = g_strsplit (n_list ? n_list : "10,100,1000", ",", -1);
  g_printerr ("%6s | %10s %10s %10s %11s | %11s %11s %11s %11s | %6s %6s "
      "%8s\n", "N", "C loop", "acs k=N", "acs k=3", "audiomixer",
      "C loop Ir", "acs k=N Ir", "acs k=3 Ir", "am Ir", "Ir a/c", "cpu a/c",
      "am/acs");
  for (i = 0; ns[i]; i++) {
    guint n = atoi (ns[i]);
    guint periods = MAX (10, (guint) (seconds / 0.02));
    gint16 **in = make_inputs (n);
    double c, a, a3, am, ic = NAN, ia = NAN, ia3 = NAN, iam = NAN;
    double c_lo, c_hi, a_lo, a_hi, a3_lo, a3_hi;
    const gchar *am_how = "measured";
    guint am_periods;
    guint m;

    /* CPU time moves with the machine's other load: the three runs are
     * interleaved --reps times, each figure is the median, the range is
     * printed too */
    {
      double cs[MAX_REPS], as[MAX_REPS], a3s[MAX_REPS];
      gint r;

      for (r = 0; r < reps; r++) {
        cs[r] = run_c_loop (in, n, periods * 10);
        emit ("c-loop", n, n, cs[r], "measured", periods * 10);
        as[r] = run_acsmixer (in, n, n, periods);
        emit ("acsmixer", n, n, as[r], "measured", periods);
        a3s[r] = run_acsmixer (in, n, 3, periods);
        emit ("acsmixer", n, 3, a3s[r], "measured", periods);
      }
      c = median (cs, reps, &c_lo, &c_hi);
      a = median (as, reps, &a_lo, &a_hi);
      a3 = median (a3s, reps, &a3_lo, &a3_hi);
      g_print ("{\"bench\": \"mix-minus-cpu\", \"n\": %u, \"reps\": %d, "
          "\"c_loop\": [%.6f, %.6f, %.6f], \"acsmixer\": [%.6f, %.6f, %.6f], "
          "\"acsmixer_k3\": [%.6f, %.6f, %.6f]}\n", n, reps, c_lo, c, c_hi,
          a_lo, a, a_hi, a3_lo, a3, a3_hi);
    }

    if ((gint) n <= am_max) {
      /* audiomixer grows about as N^2.7: fewer periods for large N */
      am_periods = n <= 10 ? periods : MAX (10, periods / 10);
      am = run_audiomixer (in, n, am_periods);
      am_prev_n = am_last_n;
      am_prev = am_last;
      am_last_n = n;
      am_last = am;
      emit ("audiomixer", n, n - 1, am, "measured", am_periods);
    } else if (am_prev > 0 && am_last > 0) {
      double e = log (am_last / am_prev) / log (am_last_n / am_prev_n);

      am = am_last * pow (n / am_last_n, e);
      am_how = "extrapolated";
      g_print ("{\"bench\": \"mix-minus\", \"impl\": \"audiomixer\", "
          "\"n\": %u, \"top_k\": %u, \"cpu_s_per_audio_s\": %.6f, "
          "\"figure\": \"extrapolated\", \"growth_exponent\": %.2f}\n",
          n, n - 1, am, e);
    } else {
      am = NAN;
      am_how = "not run";
    }

    if (counted) {
      gchar *am_ir;

      ic = count_instructions (argv[0], "c-loop", n, n, cg_periods * 5);
      ia = count_instructions (argv[0], "acsmixer", n, n, cg_periods);
      ia3 = count_instructions (argv[0], "acsmixer", n, 3, cg_periods);
      if ((gint) n <= cg_am_max)
        iam = count_instructions (argv[0], "audiomixer", n, n - 1, cg_periods);
      am_ir = isnan (iam) ? g_strdup ("null") : g_strdup_printf ("%.0f", iam);

      g_print ("{\"bench\": \"mix-minus-ir\", \"n\": %u, "
          "\"c_loop_ir_per_period\": %.0f, \"acsmixer_ir_per_period\": %.0f, "
          "\"acsmixer_k3_ir_per_period\": %.0f, "
          "\"audiomixer_ir_per_period\": %s}\n", n, ic, ia, ia3, am_ir);
      g_free (am_ir);
    }

    {
      gchar *am_ratio = isnan (am) ? g_strdup ("null") :
          g_strdup_printf ("%.1f", am / a);
      /* JSON has no NaN: null when instructions were not counted */
      gchar *ir_a = counted ? g_strdup_printf ("%.2f", ia / ic) :
          g_strdup ("null");
      gchar *ir_a3 = counted ? g_strdup_printf ("%.2f", ia3 / ic) :
          g_strdup ("null");

      g_print ("{\"bench\": \"mix-minus-ratio\", \"n\": %u, "
          "\"acsmixer_over_c_loop_ir\": %s, "
          "\"acsmixer_k3_over_c_loop_ir\": %s, "
          "\"acsmixer_over_c_loop_cpu\": %.2f, "
          "\"acsmixer_k3_over_c_loop_cpu\": %.2f, "
          "\"audiomixer_over_acsmixer_cpu\": %s, \"audiomixer_figure\": "
          "\"%s\", \"target_within_3x_cpu\": %s, "
          "\"target_within_3x_ir\": %s}\n",
          n, ir_a, ir_a3, a / c, a3 / c, am_ratio, am_how,
          a / c <= 3.0 ? "true" : "false",
          !counted ? "null" : ia / ic <= 3.0 ? "true" : "false");
      g_free (am_ratio);
      g_free (ir_a);
      g_free (ir_a3);
    }
    g_printerr ("%6u | %10.5f %10.5f %10.5f %10.4f%s | %11.0f %11.0f %11.0f "
        "%11.0f | %6.2f %6.2f %8.1f\n", n, c, a, a3, am,
        strcmp (am_how, "measured") ? "*" : " ", ic, ia, ia3, iam, ia / ic,
        a / c, am / a);
    if (a / c > 3.0 || (counted && ia / ic > 3.0))
      ok = FALSE;
    for (m = 0; m < n; m++)
      g_free (in[m]);
    g_free (in);
  }
  g_printerr ("CPU-s per s of audio (median of %d interleaved runs; * "
      "extrapolated); Ir per 20 ms period (callgrind, all threads, measured "
      "periods only). acsmixer (k = N) within 3x of the C loop at every N "
      "(CPU time%s): %s\n", reps, counted ? " and instructions" : "",
      ok ? "PASS" : "FAIL");
  if (tmpdir) {
    gchar *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);

    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", tmpdir);
    g_free (cmd);
    g_free (tmpdir);
  }
  g_strfreev (ns);
  g_free (n_list);
  return ok ? 0 : 1;
}
