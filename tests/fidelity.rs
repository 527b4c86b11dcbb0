//! Soufflé's documented behaviour that real programs rely on, run through
//! `stance infer --output-dir` as a Soufflé user would, with the files compared byte for byte.

#[path = "common/run.rs"]
mod run;
use run::{project, stance, stderr};

fn infer_files(program: &str, files: &[&str]) -> Vec<String> {
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    files.iter().map(|f| std::fs::read_to_string(dir.path().join("out").join(f)).unwrap()).collect()
}

#[test]
fn a_nullary_relation_that_holds_is_written_as_unit() {
    let program = ".decl edge(a: number, b: number)\nedge(1, 2).\n.decl connected()\nconnected() :- edge(_, _).\n\
                   .decl cyclic()\ncyclic() :- edge(x, x).\n.output connected\n.output cyclic\n";
    assert_eq!(infer_files(program, &["connected.csv", "cyclic.csv"]), ["()\n", ""]);
}

#[test]
fn one_decl_declares_several_relations() {
    let program = ".decl a, b, c(x: number)\na(1). b(2).\nc(x) :- a(x).\nc(x) :- b(x).\n.output c\n";
    assert_eq!(infer_files(program, &["c.csv"]), ["1\n2\n"]);
}

#[test]
fn several_names_in_one_decl_are_formatted_together_and_checked_each() {
    let dir = project(&[]);
    let o = run::stance_stdin(dir.path(), &["fmt", "-"], ".decl  a,b ,c( x:number )\n");
    assert_eq!(run::stdout(&o), ".decl a, b, c(x: number)\n");
    let o = run::stance_stdin(
        dir.path(),
        &["check", "--rules", "-", "--no-facts"],
        ".decl a, b(x: number)\n.decl b(y: symbol)\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("relation `b` is declared twice"), "{err}");
    assert!(err.contains("<stdin>:2:7"), "{err}");
}

#[test]
fn pragma_magic_transform_evaluates_on_demand_with_the_same_output() {
    let mut program = String::from(
        ".pragma \"magic-transform\" \"samegen\"\n.decl parent(c: number, p: number)\n\
         .decl samegen(x: number, y: number)\n\
         samegen(x, y) :- parent(x, p), parent(y, p).\n\
         samegen(x, y) :- parent(x, p), parent(y, q), samegen(p, q).\n\
         .decl cousin(y: number)\ncousin(y) :- samegen(9, y), y != 9.\n.output cousin\n",
    );
    for child in 2..32 {
        program.push_str(&format!("parent({child}, {}).\n", child / 2));
    }
    let dir = project(&[("rules/p.dl", &program)]);
    let goal = stance(dir.path(), &["infer", "--no-facts", "--format", "csv", "--explain-plan"]);
    assert_eq!(goal.status.code(), Some(0), "{}", stderr(&goal));
    let full = stance(dir.path(), &["infer", "--no-facts", "--format", "csv", "--full"]);
    assert_eq!(run::stdout(&goal), run::stdout(&full));
    assert_eq!(
        run::stdout(&goal),
        "relation,y\ncousin,8\ncousin,10\ncousin,11\ncousin,12\ncousin,13\ncousin,14\ncousin,15\n"
    );
}

// ---- components (Soufflé's "Components" page, examples run as written) ----------------

#[test]
fn component_instances_get_their_own_relations() {
    let program = ".comp MyComponent {\n    .type myType = number\n    .decl TheAnswer(x:myType)\n    TheAnswer(42).\n}\n\
                   .init myInstance1 = MyComponent\n.init myInstance2 = MyComponent\nmyInstance2.TheAnswer(33).\n\
                   .decl Test(x:number)\nTest(x) :- myInstance1.TheAnswer(x).\nTest(x) :- myInstance2.TheAnswer(x).\n.output Test\n\
                   .output myInstance2.TheAnswer\n";
    assert_eq!(infer_files(program, &["Test.csv", "myInstance2.TheAnswer.csv"]), ["33\n42\n", "33\n42\n"]);
}

#[test]
fn names_a_component_does_not_declare_resolve_in_the_enclosing_scope() {
    let program = ".decl Out(x:number)\n.comp A {\n   .decl R(x:number)\n   .comp Count {\n       R(1).\n       \
                   R(x+1):- R(x), x<10.\n   }\n   .init myCount = Count\n   Out(x) :- R(x).\n}\n.init myA = A\n.output Out\n";
    assert_eq!(infer_files(program, &["Out.csv"]), ["1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"]);
}

#[test]
fn type_parameters_and_output_directives_inside_components() {
    let program = ".comp ParamComponent<myType> {\n    .decl TheAnswer(x:myType)\n    TheAnswer(42).\n    .output TheAnswer\n}\n\
                   .init numberInstance = ParamComponent<number>\n.init symbolInstance = ParamComponent<symbol>\n\
                   symbolInstance.TheAnswer(\"forty-two\").\n";
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--output-dir", "out"]);
    // `symbolInstance.TheAnswer(42)` is a number in a symbol column: the parameter reached the column.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("rules/p.dl:3:15"), "{}", stderr(&o));
    let program = program
        .replace(".init symbolInstance = ParamComponent<symbol>\nsymbolInstance.TheAnswer(\"forty-two\").\n", "");
    assert_eq!(infer_files(&program, &["numberInstance.TheAnswer.csv"]), ["42\n"]);
}

#[test]
fn a_type_parameter_can_name_the_component_to_instantiate() {
    let program = ".decl R(x:number)\n.comp Case<Selector> {\n   .comp One {\n     R(1).\n   }\n   .comp Two {\n     R(2).\n   }\n   \
                   .init selection = Selector\n}\n.init myCase = Case<One>\n.output R\n";
    assert_eq!(infer_files(program, &["R.csv"]), ["1\n"]);
    assert_eq!(infer_files(&program.replace("Case<One>", "Case<Two>"), &["R.csv"]), ["2\n"]);
}

#[test]
fn inheritance_and_override() {
    let program = ".comp Base {\n    .type myNumber = number\n    .decl TheAnswer(x:myNumber)\n    TheAnswer(42).\n}\n\
                   .comp Sub : Base {\n    .decl WhatIsTheAnswer(n:myNumber)\n    WhatIsTheAnswer(n) :- TheAnswer(n).\n    \
                   .output WhatIsTheAnswer\n}\n.init mySub = Sub\n";
    assert_eq!(infer_files(program, &["mySub.WhatIsTheAnswer.csv"]), ["42\n"]);
    let program = ".comp Base {\n    .decl R(x:number) overridable\n    R(1).\n    R(x+1) :- R(x), x < 5.\n    .output R\n}\n\
                   .comp Sub : Base {\n    .override R\n    R(2).\n    R(x+1) :- R(x), x < 4.\n}\n.init mySub = Sub\n.init myBase = Base\n";
    assert_eq!(infer_files(program, &["mySub.R.csv", "myBase.R.csv"]), ["2\n3\n4\n", "1\n2\n3\n4\n5\n"]);
}

#[test]
fn type_parameters_pass_through_inheritance_and_nested_instances() {
    // A base component passes its parameter on; a nested instance of the same component gets its own relations.
    let program = ".comp Graph<N> {\n    .decl edge(a: N, b: N)\n    .decl reach(a: N, b: N)\n    reach(a, b) :- edge(a, b).\n    \
                   reach(a, c) :- reach(a, b), edge(b, c).\n}\n.comp Wrapped<N> : Graph<N> {\n    .init inner = Graph<N>\n    \
                   inner.edge(a, b) :- reach(a, b).\n    .output inner.reach\n}\n.init w = Wrapped<symbol>\n\
                   w.edge(\"a\", \"b\"). w.edge(\"b\", \"c\").\n";
    assert_eq!(infer_files(program, &["w.inner.reach.csv"]), ["a\tb\na\tc\nb\tc\n"]);
}

#[test]
fn component_errors_are_located() {
    let dir = project(&[]);
    let cases = [
        (".init a = Nope\n", "<stdin>:1:11", "unknown component `Nope`"),
        (
            ".comp A<T> { .decl r(x: T) }\n.init a = A\n",
            "<stdin>:2:11",
            "component `A` takes 1 type parameter, but 0 were given",
        ),
        (".comp A { .init again = A }\n.init a = A\n", "<stdin>:1:11", "component `A` instantiates itself"),
        (".comp A : B {}\n.comp B : A {}\n.init a = A\n", "<stdin>:2:11", "component `A` inherits from itself"),
        (
            ".comp A { .decl r(x: number) }\n.comp B : A { .override r }\n.init b = B\n",
            "<stdin>:2:15",
            "relation `r` is not declared `overridable`",
        ),
        (".override r\n", "<stdin>:1:1", "`.override` outside a component"),
        (".comp A {\n.decl r(x: number)\nr(1) :- q(.\n}\n.init a = A\n", "<stdin>:3:11", "expected"),
    ];
    for (program, at, message) in cases {
        let o = run::stance_stdin(dir.path(), &["check", "--rules", "-", "--no-facts"], program);
        assert_eq!(o.status.code(), Some(1), "{program}");
        let err = stderr(&o);
        assert!(err.contains(at) && err.contains(message), "{program}\n{err}");
    }
}

#[test]
fn components_that_multiply_stop_at_a_limit() {
    let mut program = String::from(".comp A0 {\n    .decl r(x: number)\n    r(1).\n}\n");
    for i in 1..30 {
        program.push_str(&format!(".comp A{i} {{\n    .init a = A{}\n    .init b = A{}\n}}\n", i - 1, i - 1));
    }
    program.push_str(".init top = A29\n");
    let dir = project(&[]);
    let o = run::stance_stdin(dir.path(), &["check", "--rules", "-", "--no-facts"], &program);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error[E019]: component expansion produces more than 100000 declarations and rules"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn components_are_formatted() {
    let dir = project(&[]);
    let src = ".comp  Graph<N>:Base<N> ,Other{ // graphs\n.decl edge(a:N,b:N) overridable\n.override r\n.init  g=Inner<N>\n\
               reach(a,b):-edge(a,b).\n}\n.comp Empty{}\n.init x=Graph<number>\n";
    let want = ".comp Graph<N> : Base<N>, Other {\n    // graphs\n    .decl edge(a: N, b: N) overridable\n    .override r\n    \
                .init g = Inner<N>\n    reach(a, b) :- edge(a, b).\n}\n\n.comp Empty {}\n.init x = Graph<number>\n";
    let o = run::stance_stdin(dir.path(), &["fmt", "-"], src);
    assert_eq!(run::stdout(&o), want);
    let o = run::stance_stdin(dir.path(), &["fmt", "-"], want);
    assert_eq!(run::stdout(&o), want);
}

#[test]
fn component_instantiation_depth_is_capped() {
    let mut program = String::new();
    for i in 0..70 {
        program.push_str(&format!(".comp C{i} {{\n    .init next = C{}\n}}\n", i + 1));
    }
    program.push_str(".comp C70 {}\n.init top = C0\n");
    let dir = project(&[]);
    let o = run::stance_stdin(dir.path(), &["check", "--rules", "-", "--no-facts"], &program);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[E019]: component instantiations nested more than 64 deep"), "{err}");
    assert!(err.contains("<stdin>:191:5"), "{err}");
}

// ---- eqrel ------------------------------------------------------------------------------

#[test]
fn an_eqrel_relation_holds_its_equivalence_closure() {
    // Soufflé's documentation: `eqrel` relations are reflexive, symmetric and transitive.
    let program = ".decl ally(a: symbol, b: symbol) eqrel\nally(\"UAE\", \"Egypt\").\nally(\"Egypt\", \"Tobruk\").\n\
                   ally(\"Turkey\", \"Tripoli\").\n.decl bloc_of_uae(x: symbol)\nbloc_of_uae(x) :- ally(\"UAE\", x).\n\
                   .output ally\n.output bloc_of_uae\n";
    assert_eq!(
        infer_files(program, &["ally.csv", "bloc_of_uae.csv"]),
        [
            "Egypt\tEgypt\nEgypt\tTobruk\nEgypt\tUAE\nTobruk\tEgypt\nTobruk\tTobruk\nTobruk\tUAE\nTripoli\tTripoli\n\
             Tripoli\tTurkey\nTurkey\tTripoli\nTurkey\tTurkey\nUAE\tEgypt\nUAE\tTobruk\nUAE\tUAE\n",
            "Egypt\nTobruk\nUAE\n"
        ]
    );
    // Both engines agree, and a closure pair's proof names the `eqrel` declaration.
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "compare"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = stance(dir.path(), &["explain", "--no-facts", "ally(\"UAE\", \"Tobruk\")"]);
    let out = run::stdout(&o);
    assert!(out.contains("by eqrel  [rules/p.dl:1]"), "{out}");
    assert!(out.contains("ally(\"Egypt\", \"Tobruk\")"), "{out}");
}

#[test]
fn a_large_eqrel_class_is_closed_by_union_find_and_its_pairs_respect_the_tuple_limit() {
    // A chain of 1,000 values is one class of 1,000,000 pairs: the union-find adds each
    // pair once (the transitive rule would join about a billion times), and a limit below
    // n² stops the run before the pairs are produced, naming the relation.
    let program = ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x), x < 999.\n\
                   .decl bloc(a: number, b: number) eqrel\nbloc(x, x + 1) :- n(x), x < 999.\n.printsize bloc\n";
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--max-tuples", "1000000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(run::stdout(&o), "bloc\t1000000\n");
    let o = stance(dir.path(), &["infer", "--no-facts", "--max-tuples", "999999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error[E031]: relation `bloc` grew beyond 999999 tuples (--max-tuples); stopped"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_20000_member_eqrel_class_is_counted_and_limited_without_listing_its_pairs() {
    // Nothing reads `bloc` but `.printsize`: the model keeps its classes, and the count is
    // Σ n² = 400,000,000 pairs in a few megabytes (listed, they would take over 3 GB, far
    // beyond the memory budget given here). The pairs count against `--max-tuples` as the
    // user sees them.
    let program = ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x), x < 19999.\n\
                   .decl bloc(a: number, b: number) eqrel\nbloc(x, x + 1) :- n(x), x < 19999.\n.printsize bloc\n";
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--max-memory", "256M"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(run::stdout(&o), "bloc\t400000000\n");
    let o = stance(dir.path(), &["infer", "--no-facts", "--max-tuples", "399999999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error[E031]: relation `bloc` grew beyond 399999999 tuples (--max-tuples); stopped"),
        "{}",
        stderr(&o)
    );
}

/// A small random `eqrel` program: pairs of symbols (names whose string order differs from
/// the order they are first seen in) or of numbers (negative ones too, whose display order
/// differs from their cells'), an output directive with random options, `.printsize`, and
/// sometimes a rule that reads the relation (then its pairs are listed).
fn random_eqrel_program(seed: u64) -> String {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let symbols = next(2) == 0;
    let values = 2 + next(9);
    let value = |v: u64| {
        if symbols {
            format!("\"{}\"", ["q", "b", "zz", "a", "m\\\"x", "c", "y", "d", "k", "e"][v as usize])
        } else {
            format!("{}", v as i64 - 4)
        }
    };
    let ty = if symbols { "symbol" } else { "number" };
    let mut p = format!(".decl link(a: {ty}, b: {ty})\n.decl eq(a: {ty}, b: {ty}) eqrel\neq(a, b) :- link(a, b).\n");
    for _ in 0..next(8) {
        p.push_str(&format!("link({}, {}).\n", value(next(values)), value(next(values))));
    }
    for _ in 0..next(3) {
        p.push_str(&format!("eq({}, {}).\n", value(next(values)), value(next(values))));
    }
    let options = ["", "(headers=true)", "(delimiter=\",\")", "(rfc4180=true)", "(IO=stdout)"];
    p.push_str(&format!(".output eq{}\n.printsize eq\n", options[next(options.len() as u64) as usize]));
    if next(4) == 0 {
        p.push_str(&format!(".decl reads(a: {ty})\nreads(a) :- eq(a, _).\n.output reads\n"));
    }
    p
}

#[test]
fn eqrel_relations_held_as_classes_write_the_same_bytes_as_the_listed_pairs() {
    // The datafrog engine holds `eq` as classes (nothing reads it but the output); the
    // simple engine lists every pair through the closure rules. Files, standard output and
    // counts are byte-identical. EQREL_CASES sets how many random programs (default 24).
    let cases: u64 = std::env::var("EQREL_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24);
    for seed in 0..cases {
        let program = random_eqrel_program(seed);
        let dir = project(&[("rules/p.dl", &program)]);
        let run = |engine: &str, out: &str| {
            let o = stance(dir.path(), &["infer", "--no-facts", "--engine", engine, "--output-dir", out]);
            assert_eq!(o.status.code(), Some(0), "{program}\n{}", stderr(&o));
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path().join(out))
                .unwrap()
                .map(|e| e.unwrap())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
                .collect();
            files.sort();
            (run::stdout(&o), files)
        };
        let held = run("datafrog", "held");
        assert_eq!(held, run("simple", "listed"), "{program}");
        assert!(held.0.contains("eq\t"), "{program}\n{}", held.0);
    }
}

#[test]
fn a_query_on_an_eqrel_relation_reads_the_bound_values_class_not_every_pair() {
    use stance::base::value::{Symbols, from_number};
    use stance::engine::eval::EvalOptions;
    // A chain of 20,000 values is one class of 400,000,000 pairs. `bloc(5, y)` is answered
    // from the classes: 20,000 matches, within a limit of 100,000 tuples per relation. The
    // magic-set rewrite no longer adorns `bloc` (its closure rules would have joined to
    // every pair under that limit): it declines, since `bloc` is evaluated in full.
    let text = ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x), x < 19999.\n\
                .decl bloc(a: number, b: number) eqrel\nbloc(x, x + 1) :- n(x), x < 19999.\n";
    let mut sources = stance::base::source::SourceMap::new();
    let file = sources.add("p.dl", text);
    let (ast, _) = stance::lang::syntax::parse_file(file, &sources.get(file).text);
    let mut symbols = Symbols::new();
    let (program, _) = stance::lang::check::check(&[ast], &Default::default(), &mut symbols);
    let bloc = program.relation_id("bloc").expect("declared");
    let facts = stance::facts::load::Facts::new();
    let options = EvalOptions { record: true, max_tuples: Some(100_000), ..Default::default() };
    let bound = [Some(from_number(5)), None];
    let goal = stance::session::goal::evaluate_for(&program, &facts, &mut symbols, bloc, &bound, &options);
    assert!(matches!(goal, Ok(None)), "{goal:?}");
    let model = stance::session::goal::evaluate_eqrel_pattern(&program, &facts, &mut symbols, bloc, &bound, &options)
        .expect("within the limit")
        .expect("bloc is held as classes");
    let matches = &model.relations[bloc];
    assert_eq!((matches.len(), matches.get(0), matches.get(19_999)), (20_000, &[5, 0][..], &[5, 19_999][..]));

    // `stance query` answers from the classes, as full evaluation does, for every binding.
    let program = ".decl link(a: symbol, b: symbol)\nlink(\"b\", \"a\"). link(\"c\", \"b\"). link(\"x\", \"y\").\n\
                   .decl bloc(a: symbol, b: symbol) eqrel\nbloc(a, b) :- link(a, b).\n";
    let dir = project(&[("rules/p.dl", program)]);
    for (pattern, expected) in [
        ("bloc(\"b\", y)", "relation,a,b\nbloc,b,a\nbloc,b,b\nbloc,b,c\n"),
        ("bloc(y, \"y\")", "relation,a,b\nbloc,x,y\nbloc,y,y\n"),
        ("bloc(\"a\", \"c\")", "relation,a,b\nbloc,a,c\n"),
        ("bloc(\"a\", \"x\")", "relation,a,b\n"),
        ("bloc(\"q\", y)", "relation,a,b\n"),
    ] {
        let o = stance(dir.path(), &["query", "--no-facts", "--format", "csv", pattern]);
        assert_eq!(run::stdout(&o), expected, "{pattern}");
        let full = stance(dir.path(), &["query", "--no-facts", "--format", "csv", "--full", pattern]);
        assert_eq!((o.status.code(), run::stdout(&o)), (full.status.code(), run::stdout(&full)), "{pattern}");
    }
    // A rule reads `bloc`: its pairs are listed, and the answer is the same.
    let read = format!("{program}.decl member(a: symbol)\nmember(a) :- bloc(a, \"a\").\n");
    let dir = project(&[("rules/p.dl", &read)]);
    let o = stance(dir.path(), &["query", "--no-facts", "--format", "csv", "bloc(\"b\", y)"]);
    assert_eq!(run::stdout(&o), "relation,a,b\nbloc,b,a\nbloc,b,b\nbloc,b,c\n");
}

#[test]
fn eqrel_classes_merging_through_recursion_agree_across_engines() {
    // `next` joins each bloc to the next one round after another, through a rule that
    // reads `bloc` itself; the union-find (datafrog) and the closure rules (simple) agree.
    let program = ".decl link(a: number, b: number)\nlink(1, 2). link(3, 4). link(5, 6). link(9, 10).\n\
                   .decl next(a: number, b: number)\nnext(2, 3). next(4, 5).\n\
                   .decl bloc(a: number, b: number) eqrel\nbloc(a, b) :- link(a, b).\n\
                   bloc(a, c) :- bloc(a, b), next(b, c).\n.decl size(n: number)\nsize(n) :- n = count : { bloc(_, _) }.\n\
                   .output size\n";
    assert_eq!(infer_files(program, &["size.csv"]), ["40\n"]);
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--engine", "compare"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn eqrel_needs_two_columns_of_one_type_and_choice_domains_are_refused() {
    let dir = project(&[]);
    let cases = [
        (".decl e(a: number) eqrel\n", "E012", "an `eqrel` relation has two columns; this one has 1"),
        (
            ".decl e(a: number, b: symbol) eqrel\n",
            "E013",
            "the two columns of an `eqrel` relation have different types",
        ),
        (
            ".decl c(x: number, y: number) choice-domain x\n",
            "E002",
            "choice domains (`choice-domain`) are not supported",
        ),
    ];
    for (program, code, message) in cases {
        let o = run::stance_stdin(dir.path(), &["check", "--rules", "-", "--no-facts"], program);
        assert_eq!(o.status.code(), Some(1), "{program}");
        let err = stderr(&o);
        assert!(err.contains(&format!("error[{code}]: {message}")) && err.contains("<stdin>:1:"), "{err}");
    }
}

// ---- output conventions -----------------------------------------------------------------

#[test]
fn io_stdout_prints_as_souffle_does_and_writes_no_file() {
    let program = ".decl e(a: number, b: number)\ne(1, 2).\ne(2, 3).\n.output e(IO=stdout)\n\
                   .output e(IO=stdout, headers=true, delimiter=\",\")\n.decl n()\nn().\n.output n(IO=stdout)\n.printsize e\n";
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["infer", "--no-facts", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = run::stdout(&o);
    let want = "---------------\ne\n===============\n1\t2\n2\t3\n===============\n\
                ---------------\ne\na,b\n===============\n1,2\n2,3\n===============\n\
                ---------------\nn\n===============\n()\n===============\n";
    // Soufflé's `-D` prints only these and `.printsize`; stance's tables need `--print`.
    assert_eq!(out, format!("{want}e\t2\n"));
    assert_eq!(std::fs::read_dir(dir.path().join("out")).unwrap().count(), 0);
}

#[test]
fn compressed_tables_in_and_out() {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"1\t2\n2\t3\n").unwrap();
    let gz = enc.finish().unwrap();
    let program = ".decl e(a: number, b: number)\n.input e\n.decl p(a: number, b: number)\np(a, c) :- e(a, b), e(b, c).\n\
                   p(a, b) :- e(a, b).\n.output p(compress=true)\n.output p(filename=\"plain.csv\")\n";
    let dir = project(&[("rules/p.dl", program)]);
    std::fs::create_dir_all(dir.path().join("facts")).unwrap();
    // Soufflé reads every input through zlib: gzip is recognised whatever the name.
    std::fs::write(dir.path().join("facts/e.facts"), &gz).unwrap();
    let o = stance(dir.path(), &["infer", "--facts", "facts", "--output-dir", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = std::fs::read(dir.path().join("out/p.csv.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&written[..]), &mut text).unwrap();
    assert_eq!(text, "1\t2\n1\t3\n2\t3\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("out/plain.csv")).unwrap(), text);
    // A broken gzip file is a located error.
    std::fs::write(dir.path().join("facts/e.facts"), [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let o = stance(dir.path(), &["infer", "--facts", "facts", "--diagnostic-format", "short"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("rules/p.dl:2:1: error[E021]: cannot read `facts/e.facts`: not a valid gzip file"), "{err}");
}

// ---- subset types and unions (Soufflé 2's rules; souffle-lang/souffle#1560) -------------

#[test]
fn subset_types_flow_up_into_unions_but_not_across_or_down() {
    let ok = ".type A <: symbol\n.type B <: symbol\n.type U = A | B\n.decl b(x:B)\n.decl u(x:U)\n.decl r(x:U, y:U)\n\
              .decl s(x:B, y:number)\nb(\"b1\").\nr(\"r1\", \"b1\").\ns(\"b1\", 1).\nu(x) :- b(x).\nu(x) :- s(x, _).\n\
              u(x) :- r(x, y), s(y, _).\n.decl any(x: symbol)\nany(x) :- u(x).\n.output u\n.output any\n";
    assert_eq!(infer_files(ok, &["u.csv", "any.csv"]), ["b1\nr1\n", "b1\nr1\n"]);
    let dir = project(&[]);
    let cases = [
        (
            "u(x) :- r(x, y), !s(y, _).\n",
            "<stdin>:18:18",
            "`y` is a `U`, which is not a subtype of `B`, the type of column 1 of `s`",
        ),
        (
            ".decl a(x: A)\na(x) :- b(x).\n",
            "<stdin>:19:1",
            "`x` is a `B`, which is not a subtype of `A`, the type of column 1 of `a`",
        ),
        (
            ".decl a(x: A)\n.decl p(x: symbol)\np(\"p\").\na(x) :- p(x).\n",
            "<stdin>:21:1",
            "`x` is a `symbol`, which is not a subtype of `A`",
        ),
        (
            ".decl a(x: A)\n.decl c(x: symbol)\nc(x) :- a(x), b(x).\n",
            "<stdin>:20:15",
            "unable to deduce a type for `x`: it is a `A` and a `B`",
        ),
    ];
    for (extra, at, message) in cases {
        let program = format!("{ok}{extra}");
        let o = run::stance_stdin(dir.path(), &["check", "--rules", "-", "--no-facts"], &program);
        assert_eq!(o.status.code(), Some(1), "{extra}");
        let err = stderr(&o);
        assert!(err.contains(&format!("error[E013]: {message}")) && err.contains(at), "{extra}\n{err}");
    }
    // `.type T = B` names B again (an equivalence type), and `fmt` keeps `=` apart from `<:`.
    let alias = ".type A <: symbol\n.type Same = A\n.decl a(x: A)\n.decl same(x: Same)\na(\"x\").\nsame(x) :- a(x).\n.output same\n";
    assert_eq!(infer_files(alias, &["same.csv"]), ["x\n"]);
    let o = run::stance_stdin(dir.path(), &["fmt", "-"], ".type Same=A\n.type Sub<:A\n");
    assert_eq!(run::stdout(&o), ".type Same = A\n.type Sub <: A\n");
}

#[test]
fn rfc4180_outputs_quote_symbols_as_souffle_writes_them() {
    // Soufflé's WriteStreamCSV: comma by default, every symbol quoted, a quote inside written `\""`.
    let program = ".decl q(s: symbol, n: number)\nq(\"say \\\"hi\\\", then go\", 1).\nq(\"plain\", 2).\n\
                   .output q(rfc4180=true, headers=true)\n";
    assert_eq!(infer_files(program, &["q.csv"]), ["s,n\n\"plain\",2\n\"say \\\"\"hi\\\"\", then go\",1\n"]);
}

#[test]
fn proofs_and_lint_see_component_rules_as_written() {
    let program = ".comp Graph<N> {\n    .decl edge(a: N, b: N)\n    .decl reach(a: N, b: N)\n    reach(a, b) :- edge(a, b).\n    \
                   reach(a, c) :- reach(a, b), edge(b, c).\n    .output reach\n}\n.init g = Graph<symbol>\n.init h = Graph<symbol>\n\
                   g.edge(\"a\", \"b\").\ng.edge(\"b\", \"c\").\nh.edge(\"x\", \"y\").\n";
    let dir = project(&[("rules/p.dl", program)]);
    let o = stance(dir.path(), &["explain", "--no-facts", "g.reach(\"a\", \"c\")"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = run::stdout(&o);
    assert!(
        out.starts_with("g.reach(\"a\", \"c\")\n│  by reach(a, c) :- reach(a, b), edge(b, c).  [rules/p.dl:5]\n"),
        "{out}"
    );
    // A variable used once inside a component is reported once, where it is written.
    let program = program.replace("reach(a, b) :- edge(a, b).", "reach(a, a) :- edge(a, b).");
    let o = run::stance_stdin(dir.path(), &["check", "--rules", "-", "--no-facts"], &program);
    let err = stderr(&o);
    assert_eq!(err.matches("warning[W001]: variable `b` is used only once").count(), 1, "{err}");
    assert!(err.contains("<stdin>:4:28"), "{err}");
}

// ---- symbols joined with `+` (Soufflé 2.4, souffle-lang/souffle#2431) ------------------------

#[test]
fn plus_concatenates_symbols_as_cat_does() {
    let program = ".decl s(x: symbol)\ns(\"(a)\"). s(\"(b)\").\n.decl add(x: symbol)\nadd(\"pre-\" + \"-post\").\n\
                   add(x + \"-post\") :- s(x).\nadd(x + y + x) :- s(x), s(y), x != y.\n.output add\n";
    assert_eq!(infer_files(program, &["add.csv"]), ["(a)(b)(a)\n(a)-post\n(b)(a)(b)\n(b)-post\npre--post\n"]);
}

#[test]
fn plus_of_a_symbol_and_a_number_is_still_a_type_error() {
    let dir = project(&[("rules/p.dl", ".decl s(x: symbol)\ns(\"a\" + 1).\n")]);
    let o = stance(dir.path(), &["check", "--no-facts"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error[E013]: an arithmetic operand is a symbol but a number is expected"),
        "{}",
        stderr(&o)
    );
}

// ---- a record literal compared with a variable takes its type -----------------------------------

#[test]
fn a_record_literal_takes_the_type_of_the_variable_it_is_compared_with() {
    let program = ".type Conn = [first: symbol, second: symbol]\n.decl a(x: Conn)\na([\"a\", \"b\"]). a([\"c\", \"d\"]).\n\
                   .decl b(x: symbol)\nb(f) :- a(x), x != [\"a\", \"b\"], x = [f, _].\n.output b\n";
    assert_eq!(infer_files(program, &["b.csv"]), ["c\n"]);
}
