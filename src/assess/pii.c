/*
 * assess/pii.c -- does a name look like personal data? And does it look
 * like a ransom note?
 *
 * Probes report only names: indices, collections, tables, fields. Whether a
 * store holds personal data is therefore a guess from words, and the guess
 * must work on what real deployments are called: English snake_case and
 * camelCase, Chinese systems named in full pinyin (xingming), in pinyin
 * initials (xm, sfzh, sjhm) or in characters (姓名, 身份证号), and European
 * and Russian schemas in their own words. The matcher:
 *
 *  1. splits a name into words: on anything not a letter, on digits, on
 *     camelCase humps (SSNNumber -> ssn number), on script changes; folds
 *     Latin-1 accents (teléfono -> telefono, Straße -> strasse) and Cyrillic
 *     case; keeps a run of CJK characters as one word;
 *  2. looks words up in a phrase table, longest phrase first ("email
 *     address" is e-mail, not a street), with plural forms accepted;
 *  3. applies context, which is where most false positives die: the word
 *     before ("ip address", "file location") and the words after
 *     ("phone_model", "email_template", "health_status", "address_id")
 *     cancel a category; an English "name" counts only after a person word
 *     (first_name, customer_name; not product_name or user_name); a name
 *     starting with is_/has_/enable_ is a flag, not the value;
 *  4. falls back to glued stems inside long words (customerfirstname,
 *     shenfenzhenghao, geburtsdatum) and to substrings in CJK runs.
 *
 * "person" (the rows are people: person_info, citizens) is reported only
 * when nothing more specific matched, so customer_phone is "phone".
 * Decisions on debatable words are in docs/signals.md; the labelled list in
 * tests/unit/pii_labels.tsv measures the result.
 */
#include "assess/assess.h"
#include "assess/pii_words.h"
#include "core/util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N   PII_NAME
#define ID  PII_NATIONAL_ID
#define PH  PII_PHONE
#define AD  PII_ADDRESS
#define EM  PII_EMAIL
#define BD  PII_BIRTH
#define PP  PII_PASSPORT
#define BK  PII_BANK_CARD
#define VH  PII_VEHICLE
#define CR  PII_CRIMINAL
#define HL  PII_HEALTH
#define LC  PII_LOCATION
#define PS  PII_PERSON
#define ALL 0x1fffu

static const char *const cat_ids[PII_NCATEGORIES] = {
    "name",      "national-id", "phone",           "address", "email",    "birth-date", "passport",
    "bank-card", "vehicle",     "criminal-record", "health",  "location", "person",
};
static const char *const cat_labels[PII_NCATEGORIES] = {
    "person name",     "national ID number",
    "phone number",    "postal address",
    "e-mail address",  "birth date",
    "passport number", "bank card or account",
    "vehicle plate",   "criminal or case record",
    "health",          "location",
    "person records",
};

static int bit_index(unsigned bit)
{
    for (int i = 0; i < PII_NCATEGORIES; i++)
        if (bit == 1u << i) return i;
    return -1;
}

const char *pii_category_name(unsigned bit)
{
    int i = bit_index(bit);
    return i < 0 ? "" : cat_ids[i];
}

const char *pii_category_label(unsigned bit)
{
    int i = bit_index(bit);
    return i < 0 ? "" : cat_labels[i];
}

unsigned pii_category_parse(const char *id)
{
    for (int i = 0; i < PII_NCATEGORIES; i++)
        if (strcmp(id, cat_ids[i]) == 0) return 1u << i;
    return 0;
}

/* ---- words ---- */

#define MAXTOK 24
#define TOKLEN 64
enum script { SC_NONE, SC_LATIN, SC_CYR, SC_CJK };

struct words {
    char w[MAXTOK][TOKLEN];
    enum script sc[MAXTOK];
    int n;
    bool exhaustive; /* pii_classify_exhaustive(): no index, every list read whole */
};

struct splitter {
    struct words *ws;
    char cur[TOKLEN];
    size_t len;
    enum script sc;
    int upper_run; /* trailing uppercase ASCII letters in cur */
    bool last_lower;
};

static void sp_flush(struct splitter *s)
{
    if (s->len > 0 && s->ws->n < MAXTOK) {
        memcpy(s->ws->w[s->ws->n], s->cur, s->len);
        s->ws->w[s->ws->n][s->len] = '\0';
        s->ws->sc[s->ws->n] = s->sc;
        s->ws->n++;
    }
    s->len = 0;
    s->sc = SC_NONE;
    s->upper_run = 0;
    s->last_lower = false;
}

static void sp_bytes(struct splitter *s, enum script sc, const char *p, size_t n)
{
    if (s->sc != sc && s->len) sp_flush(s);
    s->sc = sc;
    if (s->len + n < TOKLEN) {
        memcpy(s->cur + s->len, p, n);
        s->len += n;
    }
}

/* An ASCII (or folded) letter with its case, for the camelCase rules. */
static void sp_letter(struct splitter *s, char c, bool upper)
{
    if (s->sc == SC_LATIN && s->len) {
        if (upper && s->last_lower) {
            sp_flush(s); /* fooBar */
        } else if (!upper && s->upper_run >= 2) {
            /* SSNNumber: the last capital starts the next word */
            char keep = s->cur[s->len - 1];
            s->len--;
            sp_flush(s);
            sp_bytes(s, SC_LATIN, &keep, 1);
        }
    }
    char lc = (char)(upper && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    sp_bytes(s, SC_LATIN, &lc, 1);
    s->upper_run = upper ? s->upper_run + 1 : 0;
    s->last_lower = !upper;
}

/* Latin-1 supplement letters (second byte after 0xC3) folded to ASCII. */
static const char latin1_fold[64] = "AAAAAAACEEEEIIII"
                                    "DNOOOOO\0OUUUUYTs"
                                    "aaaaaaaceeeeiiii"
                                    "dnooooo\0ouuuuyty";

static void split_words(const char *name, struct words *ws)
{
    struct splitter s;
    memset(&s, 0, sizeof s);
    memset(ws, 0, sizeof *ws);
    s.ws = ws;
    const unsigned char *p = (const unsigned char *)name;
    while (*p) {
        unsigned c = p[0];
        if (c < 0x80) {
            if (c >= 'a' && c <= 'z')
                sp_letter(&s, (char)c, false);
            else if (c >= 'A' && c <= 'Z')
                sp_letter(&s, (char)c, true);
            else
                sp_flush(&s);
            p++;
        } else if (c == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
            char f = latin1_fold[p[1] - 0x80];
            if (p[1] == 0x9F) { /* ß */
                sp_letter(&s, 's', false);
                sp_letter(&s, 's', false);
            } else if (f) {
                sp_letter(&s, f, p[1] < 0xA0);
            } else {
                sp_flush(&s);
            }
            p += 2;
        } else if ((c == 0xD0 || c == 0xD1) && p[1] >= 0x80 && p[1] <= 0xBF) {
            unsigned char o[2] = {(unsigned char)c, p[1]};
            if (c == 0xD0 && p[1] >= 0x90 && p[1] <= 0x9F) { /* А-П */
                o[1] = (unsigned char)(p[1] + 0x20);
            } else if (c == 0xD0 && p[1] >= 0xA0 && p[1] <= 0xAF) { /* Р-Я */
                o[0] = 0xD1;
                o[1] = (unsigned char)(p[1] - 0x20);
            } else if (c == 0xD0 && p[1] == 0x81) { /* Ё */
                o[0] = 0xD1;
                o[1] = 0x91;
            }
            if (o[0] == 0xD1 && o[1] == 0x91) o[0] = 0xD0, o[1] = 0xB5; /* ё -> е */
            sp_bytes(&s, SC_CYR, (const char *)o, 2);
            p += 2;
        } else if (c >= 0xE3 && c <= 0xE9 && p[1] >= 0x80 && p[1] <= 0xBF && p[2] >= 0x80 &&
                   p[2] <= 0xBF) {
            /* U+3000..U+9FFF: CJK punctuation is a separator, the rest a character. */
            if (c == 0xE3 && p[1] == 0x80)
                sp_flush(&s);
            else
                sp_bytes(&s, SC_CJK, (const char *)p, 3);
            p += 3;
        } else {
            sp_flush(&s);
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
        }
    }
    sp_flush(&s);
}

/* Word equality with the plural forms of Latin words accepted. */
static bool word_eq(const char *tok, const char *w)
{
    if (strcmp(tok, w) == 0) return true;
    size_t tl = strlen(tok), wl = strlen(w);
    if (tl < 4 || tl <= wl || strncmp(tok, w, wl) != 0) return false;
    const char *rest = tok + wl;
    if (strcmp(rest, "s") == 0) return w[wl - 1] != 's';
    if (strcmp(rest, "es") == 0) return true;
    return false;
}

static bool plural_y(const char *tok, const char *w)
{
    size_t tl = strlen(tok), wl = strlen(w);
    return wl > 2 && w[wl - 1] == 'y' && tl == wl + 2 && strncmp(tok, w, wl - 1) == 0 &&
           strcmp(tok + wl - 1, "ies") == 0;
}

#if 0 /* the C tables, now data/pii-terms.tsv: deleted in the next commit */
/* ---- the dictionary ---- */

#define NEED_PERSON 0x1u /* counts only after a person word (English "name") */
#define GENERIC     0x4u /* a bare "name" word: things and users have names too */
#define INFRA_WORD  0x2u /* also a machine word: "health_status", "cluster_health" */

struct term {
    const char *w; /* words separated by single spaces */
    unsigned cats;
    unsigned flags;
};

static const struct term terms[] = {
    /* person name */
    {"name", N, NEED_PERSON | GENERIC},
    {"first name", N, 0},
    {"last name", N, 0},
    {"full name", N, 0},
    {"middle name", N, 0},
    {"given name", N, 0},
    {"family name", N, 0},
    {"maiden name", N, 0},
    {"real name", N, 0},
    {"legal name", N, 0},
    {"birth name", N, 0},
    {"name first", N, 0},
    {"name last", N, 0},
    {"name full", N, 0},
    {"firstname", N, 0},
    {"lastname", N, 0},
    {"fullname", N, 0},
    {"surname", N, 0},
    {"forename", N, 0},
    {"fname", N, 0},
    {"lname", N, 0},
    {"xm", N, 0},
    {"xingming", N, 0},
    {"mingzi", N, GENERIC},
    {"zwxm", N, 0},
    {"ywxm", N, 0},
    {"nombre", N, GENERIC},
    {"nombre completo", N, 0},
    {"apellido", N, 0},
    {"nome", N, GENERIC},
    {"nome completo", N, 0},
    {"sobrenome", N, 0},
    {"apelido", N, 0},
    {"nom", N, GENERIC},
    {"nom de famille", N, 0},
    {"prenom", N, 0},
    {"vorname", N, 0},
    {"nachname", N, 0},
    {"familienname", N, 0},
    {"fio", N, 0},
    {"familiya", N, 0},
    {"imya", N, GENERIC},
    {"otchestvo", N, 0},
    {"фио", N, 0},
    {"фамилия", N, 0},
    {"имя", N, GENERIC},
    {"отчество", N, 0},
    /* national ID and other government numbers */
    {"ssn", ID, 0},
    {"social security", ID, 0},
    {"social security number", ID, 0},
    {"social insurance number", ID, 0},
    {"national id", ID, 0},
    {"national identity", ID, 0},
    {"national number", ID, 0},
    {"national insurance number", ID, 0},
    {"nationalid", ID, 0},
    {"id card", ID, 0},
    {"id card no", ID, 0},
    {"id card number", ID, 0},
    {"idcard", ID, 0},
    {"identity card", ID, 0},
    {"identity number", ID, 0},
    {"identity no", ID, 0},
    {"id number", ID, 0},
    {"id no", ID, 0},
    {"id num", ID, 0},
    {"idno", ID, 0},
    {"idnum", ID, 0},
    {"idnumber", ID, 0},
    {"tax id", ID, 0},
    {"taxid", ID, 0},
    {"taxpayer id", ID, 0},
    {"nino", ID, 0},
    {"aadhaar", ID, 0},
    {"aadhar", ID, 0},
    {"driver license", ID, 0},
    {"drivers license", ID, 0},
    {"driving license", ID, 0},
    {"driving licence", ID, 0},
    {"driver licence", ID, 0},
    {"kyc", ID, 0},
    {"sfz", ID, 0},
    {"sfzh", ID, 0},
    {"sfzhm", ID, 0},
    {"gmsfhm", ID, 0},
    {"zjhm", ID, 0},
    {"zjh", ID, 0},
    {"jszh", ID, 0},
    {"shenfenzheng", ID, 0},
    {"cpf", ID, 0},
    {"rg", ID, 0},
    {"dni", ID, 0},
    {"nif", ID, 0},
    {"nie", ID, 0},
    {"cedula", ID, 0},
    {"curp", ID, 0},
    {"rfc", ID, 0},
    {"rut", ID, 0},
    {"nir", ID, 0},
    {"securite sociale", ID, 0},
    {"personalausweis", ID, 0},
    {"ausweis", ID, 0},
    {"ausweisnummer", ID, 0},
    {"steuerid", ID, 0},
    {"steuer id", ID, 0},
    {"steuernummer", ID, 0},
    {"sozialversicherungsnummer", ID, 0},
    {"snils", ID, 0},
    {"inn", ID, 0},
    {"снилс", ID, 0},
    {"инн", ID, 0},
    /* phone */
    {"phone", PH, 0},
    {"telephone", PH, 0},
    {"tel", PH, 0},
    {"mobile", PH, 0},
    {"cellphone", PH, 0},
    {"cell phone", PH, 0},
    {"cell number", PH, 0},
    {"msisdn", PH, 0},
    {"contact number", PH, 0},
    {"contact no", PH, 0},
    {"telno", PH, 0},
    {"phonenumber", PH, 0},
    {"phoneno", PH, 0},
    {"phonenum", PH, 0},
    {"shouji", PH, 0},
    {"shoujihao", PH, 0},
    {"sjh", PH, 0},
    {"sjhm", PH, 0},
    {"lxdh", PH, 0},
    {"lxfs", PH, 0},
    {"dhhm", PH, 0},
    {"gddh", PH, 0},
    {"dianhua", PH, 0},
    {"telefono", PH, 0},
    {"movil", PH, 0},
    {"celular", PH, 0},
    {"telefone", PH, 0},
    {"portable", PH, 0},
    {"telefon", PH, 0},
    {"telefonnummer", PH, 0},
    {"handy", PH, 0},
    {"handynummer", PH, 0},
    {"mobil", PH, 0},
    {"mobilnummer", PH, 0},
    {"rufnummer", PH, 0},
    {"nomer telefona", PH, 0},
    {"телефон", PH, 0},
    {"тел", PH, 0},
    {"мобильный", PH, 0},
    /* postal address */
    {"address", AD, 0},
    {"addr", AD, 0},
    {"street", AD, 0},
    {"residence", AD, 0},
    {"domicile", AD, 0},
    {"zip", AD, 0},
    {"zipcode", AD, 0},
    {"zip code", AD, 0},
    {"postcode", AD, 0},
    {"post code", AD, 0},
    {"postal code", AD, 0},
    {"postalcode", AD, 0},
    {"house number", AD, 0},
    {"house no", AD, 0},
    {"zz", AD, 0},
    {"dz", AD, 0},
    {"jtzz", AD, 0},
    {"hjdz", AD, 0},
    {"xzz", AD, 0},
    {"jzdz", AD, 0},
    {"hjszd", AD, 0},
    {"hkszd", AD, 0},
    {"zhuzhi", AD, 0},
    {"dizhi", AD, 0},
    {"youbian", AD, 0},
    {"direccion", AD, 0},
    {"domicilio", AD, 0},
    {"calle", AD, 0},
    {"codigo postal", AD, 0},
    {"endereco", AD, 0},
    {"logradouro", AD, 0},
    {"cep", AD, 0},
    {"morada", AD, 0},
    {"adresse", AD, 0},
    {"rue", AD, 0},
    {"code postal", AD, 0},
    {"anschrift", AD, 0},
    {"strasse", AD, 0},
    {"plz", AD, 0},
    {"postleitzahl", AD, 0},
    {"wohnort", AD, 0},
    {"hausnummer", AD, 0},
    {"adres", AD, 0},
    {"propiska", AD, 0},
    {"ulitsa", AD, 0},
    {"адрес", AD, 0},
    {"прописка", AD, 0},
    {"улица", AD, 0},
    {"почтовый индекс", AD, 0},
    /* e-mail (before the address words it contains: longest phrase wins) */
    {"email", EM, 0},
    {"e mail", EM, 0},
    {"mail", EM, 0},
    {"email address", EM, 0},
    {"mail address", EM, 0},
    {"emailaddress", EM, 0},
    {"correo", EM, 0},
    {"correo electronico", EM, 0},
    {"direccion correo", EM, 0},
    {"direccion de correo", EM, 0},
    {"direccion email", EM, 0},
    {"endereco email", EM, 0},
    {"endereco de email", EM, 0},
    {"endereco eletronico", EM, 0},
    {"courriel", EM, 0},
    {"adresse mail", EM, 0},
    {"adresse email", EM, 0},
    {"adresse e mail", EM, 0},
    {"adresse electronique", EM, 0},
    {"youxiang", EM, 0},
    {"dzyx", EM, 0},
    {"yxdz", EM, 0},
    {"pochta", EM, 0},
    {"почта", EM, 0},
    {"электронная почта", EM, 0},
    /* birth date */
    {"birthday", BD, 0},
    {"birthdate", BD, 0},
    {"birth date", BD, 0},
    {"birth day", BD, 0},
    {"birth year", BD, 0},
    {"birthyear", BD, 0},
    {"birth", BD, 0},
    {"date of birth", BD, 0},
    {"dateofbirth", BD, 0},
    {"dob", BD, 0},
    {"born", BD, 0},
    {"bday", BD, 0},
    {"birthplace", BD, 0},
    {"csrq", BD, 0},
    {"csny", BD, 0},
    {"shengri", BD, 0},
    {"chushengriqi", BD, 0},
    {"fecha nacimiento", BD, 0},
    {"fecha de nacimiento", BD, 0},
    {"nacimiento", BD, 0},
    {"data nascimento", BD, 0},
    {"data de nascimento", BD, 0},
    {"nascimento", BD, 0},
    {"date naissance", BD, 0},
    {"date de naissance", BD, 0},
    {"naissance", BD, 0},
    {"geburtsdatum", BD, 0},
    {"geburtstag", BD, 0},
    {"geburtsort", BD, 0},
    {"data rozhdeniya", BD, 0},
    {"rozhdeniya", BD, 0},
    {"den rozhdeniya", BD, 0},
    {"дата рождения", BD, 0},
    {"рождения", BD, 0},
    /* passport */
    {"passport", PP, 0},
    {"passportno", PP, 0},
    {"travel document", PP, 0},
    {"huzhao", PP, 0},
    {"hzhm", PP, 0},
    {"hzh", PP, 0},
    {"pasaporte", PP, 0},
    {"passaporte", PP, 0},
    {"passeport", PP, 0},
    {"reisepass", PP, 0},
    {"pasport", PP, 0},
    {"паспорт", PP, 0},
    /* bank card / account */
    {"credit card", BK, 0},
    {"creditcard", BK, 0},
    {"debit card", BK, 0},
    {"bank card", BK, 0},
    {"bankcard", BK, 0},
    {"card number", BK, 0},
    {"cardnumber", BK, 0},
    {"card no", BK, 0},
    {"cardno", BK, 0},
    {"card num", BK, 0},
    {"bank account", BK, 0},
    {"account number", BK, 0},
    {"iban", BK, 0},
    {"cvv", BK, 0},
    {"cvc", BK, 0},
    {"ccn", BK, 0},
    {"cc number", BK, 0},
    {"yhkh", BK, 0},
    {"yhk", BK, 0},
    {"yhzh", BK, 0},
    {"kahao", BK, 0},
    {"yinhangka", BK, 0},
    {"tarjeta", BK, 0},
    {"numero tarjeta", BK, 0},
    {"cuenta bancaria", BK, 0},
    {"clabe", BK, 0},
    {"cartao", BK, 0},
    {"numero cartao", BK, 0},
    {"conta bancaria", BK, 0},
    {"carte bancaire", BK, 0},
    {"numero carte", BK, 0},
    {"rib", BK, 0},
    {"kreditkarte", BK, 0},
    {"kontonummer", BK, 0},
    {"bankverbindung", BK, 0},
    {"nomer karty", BK, 0},
    {"номер карты", BK, 0},
    {"банковская карта", BK, 0},
    {"счет", BK, 0},
    /* vehicle */
    {"license plate", VH, 0},
    {"licence plate", VH, 0},
    {"number plate", VH, 0},
    {"plate number", VH, 0},
    {"plate no", VH, 0},
    {"plateno", VH, 0},
    {"car plate", VH, 0},
    {"vehicle plate", VH, 0},
    {"registration plate", VH, 0},
    {"vin", VH, 0},
    {"vehicle identification number", VH, 0},
    {"cph", VH, 0},
    {"cphm", VH, 0},
    {"hphm", VH, 0},
    {"chepai", VH, 0},
    {"chepaihao", VH, 0},
    {"haopai", VH, 0},
    {"clsbdh", VH, 0},
    {"cjh", VH, 0},
    {"fdjh", VH, 0},
    {"placa", VH, 0},
    {"immatriculation", VH, 0},
    {"plaque", VH, 0},
    {"kennzeichen", VH, 0},
    {"nummernschild", VH, 0},
    {"fahrgestellnummer", VH, 0},
    {"gosnomer", VH, 0},
    {"госномер", VH, 0},
    {"номерной знак", VH, 0},
    /* criminal / case record */
    {"criminal", CR, 0},
    {"criminal record", CR, 0},
    {"conviction", CR, 0},
    {"offense", CR, 0},
    {"offence", CR, 0},
    {"offender", CR, 0},
    {"arrest", CR, 0},
    {"case number", CR, 0},
    {"case no", CR, 0},
    {"caseno", CR, 0},
    {"crime", CR, 0},
    {"suspect", CR, 0},
    {"inmate", CR, 0},
    {"prisoner", CR, 0},
    {"prison", CR, 0},
    {"jail", CR, 0},
    {"detainee", CR, 0},
    {"warrant", CR, 0},
    {"court case", CR, 0},
    {"parole", CR, 0},
    {"mugshot", CR, 0},
    {"felony", CR, 0},
    {"misdemeanor", CR, 0},
    {"police record", CR, 0},
    {"verdict", CR, 0},
    {"victim", CR, 0},
    {"witness", CR, 0},
    {"ajbh", CR, 0},
    {"ajmc", CR, 0},
    {"xyr", CR, 0},
    {"fzxyr", CR, 0},
    {"wfjl", CR, 0},
    {"wfxw", CR, 0},
    {"anjian", CR, 0},
    {"fanzui", CR, 0},
    {"xianyiren", CR, 0},
    {"qianke", CR, 0},
    {"zaitao", CR, 0},
    {"taofan", CR, 0},
    {"antecedentes", CR, 0},
    {"antecedentes penales", CR, 0},
    {"antecedentes criminais", CR, 0},
    {"delito", CR, 0},
    {"sospechoso", CR, 0},
    {"detenido", CR, 0},
    {"casier judiciaire", CR, 0},
    {"infraction", CR, 0},
    {"condamnation", CR, 0},
    {"vorstrafe", CR, 0},
    {"vorstrafen", CR, 0},
    {"strafregister", CR, 0},
    {"straftat", CR, 0},
    {"aktenzeichen", CR, 0},
    {"haftbefehl", CR, 0},
    {"sudimost", CR, 0},
    {"ugolovnoe delo", CR, 0},
    {"судимость", CR, 0},
    {"уголовное дело", CR, 0},
    {"подозреваемый", CR, 0},
    /* health */
    {"health", HL, INFRA_WORD},
    {"medical", HL, 0},
    {"diagnosis", HL, 0},
    {"diagnoses", HL, 0},
    {"disease", HL, 0},
    {"illness", HL, 0},
    {"symptom", HL, 0},
    {"prescription", HL, 0},
    {"medication", HL, 0},
    {"allergy", HL, 0},
    {"blood type", HL, 0},
    {"blood group", HL, 0},
    {"blood pressure", HL, 0},
    {"heart rate", HL, 0},
    {"heartrate", HL, 0},
    {"icd", HL, 0},
    {"hiv", HL, 0},
    {"covid", HL, 0},
    {"vaccine", HL, 0},
    {"vaccination", HL, 0},
    {"pregnancy", HL, 0},
    {"disability", HL, 0},
    {"clinical", HL, 0},
    {"bmi", HL, 0},
    {"patient", HL | PS, 0},
    {"bingli", HL, 0},
    {"zhenduan", HL, 0},
    {"jibing", HL, 0},
    {"jiankang", HL, 0},
    {"huanzhe", HL | PS, 0},
    {"bingren", HL | PS, 0},
    {"xuexing", HL, 0},
    {"salud", HL, 0},
    {"diagnostico", HL, 0},
    {"enfermedad", HL, 0},
    {"paciente", HL | PS, 0},
    {"historia clinica", HL, 0},
    {"alergia", HL, 0},
    {"saude", HL, 0},
    {"doenca", HL, 0},
    {"prontuario", HL, 0},
    {"sante", HL, 0},
    {"diagnostic", HL, 0},
    {"maladie", HL, 0},
    {"dossier medical", HL, 0},
    {"gesundheit", HL, 0},
    {"diagnose", HL, 0},
    {"krankheit", HL, 0},
    {"krankenkasse", HL, 0},
    {"diagnoz", HL, 0},
    {"zdorove", HL, 0},
    {"bolezn", HL, 0},
    {"pacient", HL | PS, 0},
    {"диагноз", HL, 0},
    {"здоровье", HL, 0},
    {"болезнь", HL, 0},
    {"пациент", HL | PS, 0},
    /* location */
    {"latitude", LC, 0},
    {"longitude", LC, 0},
    {"lat", LC, 0},
    {"lng", LC, 0},
    {"lon", LC, 0},
    {"latlng", LC, 0},
    {"latlon", LC, 0},
    {"geo", LC, 0},
    {"geoip", LC, 0},
    {"geopoint", LC, 0},
    {"geohash", LC, 0},
    {"geolocation", LC, 0},
    {"location", LC, 0},
    {"gps", LC, 0},
    {"coordinates", LC, 0},
    {"coords", LC, 0},
    {"trajectory", LC, 0},
    {"weizhi", LC, 0},
    {"guiji", LC, 0},
    {"jingdu", LC, 0},
    {"weidu", LC, 0},
    {"jwd", LC, 0},
    {"dingwei", LC, 0},
    {"zuobiao", LC, 0},
    {"ubicacion", LC, 0},
    {"localizacion", LC, 0},
    {"latitud", LC, 0},
    {"longitud", LC, 0},
    {"coordenadas", LC, 0},
    {"localizacao", LC, 0},
    {"localisation", LC, 0},
    {"coordonnees gps", LC, 0},
    {"standort", LC, 0},
    {"koordinaten", LC, 0},
    {"breitengrad", LC, 0},
    {"laengengrad", LC, 0},
    {"langengrad", LC, 0},
    {"mestopolozhenie", LC, 0},
    {"koordinaty", LC, 0},
    {"shirota", LC, 0},
    {"dolgota", LC, 0},
    {"местоположение", LC, 0},
    {"координаты", LC, 0},
    {"широта", LC, 0},
    {"долгота", LC, 0},
    /* the rows are people */
    {"person", PS, 0},
    {"people", PS, 0},
    {"personal", PS, 0},
    {"personnel", PS, 0},
    {"citizen", PS, 0},
    {"resident", PS, 0},
    {"inhabitant", PS, 0},
    {"population", PS, 0},
    {"census", PS, 0},
    {"household", PS, 0},
    {"customer", PS, 0},
    {"employee", PS, 0},
    {"staff", PS, 0},
    {"student", PS, 0},
    {"pupil", PS, 0},
    {"voter", PS, 0},
    {"passenger", PS, 0},
    {"traveler", PS, 0},
    {"traveller", PS, 0},
    {"applicant", PS, 0},
    {"beneficiary", PS, 0},
    {"donor", PS, 0},
    {"gender", PS, 0},
    {"sex", PS, 0},
    {"nationality", PS, 0},
    {"ethnicity", PS, 0},
    {"religion", PS, 0},
    {"marital status", PS, 0},
    {"renyuan", PS, 0},
    {"renkou", PS, 0},
    {"jumin", PS, 0},
    {"gongmin", PS, 0},
    {"geren", PS, 0},
    {"grxx", PS, 0},
    {"ryxx", PS, 0},
    {"rkxx", PS, 0},
    {"yuangong", PS, 0},
    {"kehu", PS, 0},
    {"xuesheng", PS, 0},
    {"lvke", PS, 0},
    {"xb", PS, 0},
    {"xingbie", PS, 0},
    {"minzu", PS, 0},
    {"hunyin", PS, 0},
    {"persona", PS, 0},
    {"ciudadano", PS, 0},
    {"cliente", PS, 0},
    {"empleado", PS, 0},
    {"alumno", PS, 0},
    {"habitante", PS, 0},
    {"pasajero", PS, 0},
    {"datos personales", PS, 0},
    {"sexo", PS, 0},
    {"estado civil", PS, 0},
    {"pessoa", PS, 0},
    {"cidadao", PS, 0},
    {"funcionario", PS, 0},
    {"aluno", PS, 0},
    {"dados pessoais", PS, 0},
    {"personne", PS, 0},
    {"citoyen", PS, 0},
    {"salarie", PS, 0},
    {"employe", PS, 0},
    {"etudiant", PS, 0},
    {"habitant", PS, 0},
    {"donnees personnelles", PS, 0},
    {"sexe", PS, 0},
    {"personen", PS, 0},
    {"personendaten", PS, 0},
    {"personalien", PS, 0},
    {"kunde", PS, 0},
    {"kunden", PS, 0},
    {"mitarbeiter", PS, 0},
    {"einwohner", PS, 0},
    {"geschlecht", PS, 0},
    {"familienstand", PS, 0},
    {"grazhdanin", PS, 0},
    {"grazhdane", PS, 0},
    {"klient", PS, 0},
    {"sotrudnik", PS, 0},
    {"fizlico", PS, 0},
    {"lichnye dannye", PS, 0},
    {"гражданин", PS, 0},
    {"граждане", PS, 0},
    {"клиент", PS, 0},
    {"клиенты", PS, 0},
    {"сотрудник", PS, 0},
    {"сотрудники", PS, 0},
    {"физлицо", PS, 0},
    {"житель", PS, 0},
    {"персональные данные", PS, 0},
};

/* Words before an English "name" that make it a person's name. */
static const char *const person_words[] = {
    "first",     "last",      "full",      "middle",    "given",       "family",     "maiden",
    "real",      "legal",     "birth",     "sur",       "customer",    "client",     "patient",
    "person",    "contact",   "employee",  "owner",     "holder",      "cardholder", "member",
    "student",   "citizen",   "resident",  "applicant", "passenger",   "guest",      "driver",
    "recipient", "receiver",  "consignee", "sender",    "buyer",       "emergency",  "father",
    "mother",    "parent",    "spouse",    "child",     "beneficiary", "insured",    "victim",
    "suspect",   "witness",   "teacher",   "traveler",  "cust",        "emp",        "candidate",
    "doctor",    "physician", "nurse",     "donor",     "voter",       "tenant",     "landlord",
    "lname",     "fname",
};

struct ctxword {
    const char *w;
    unsigned cats; /* categories this word cancels */
};

/* A word before the term that says it is not about a person. */
static const struct ctxword before_words[] = {
    /* network and machine addresses */
    {"ip", AD},
    {"ipv4", AD},
    {"ipv6", AD},
    {"mac", AD},
    {"hw", AD},
    {"ether", AD},
    {"email", AD},
    {"mail", AD},
    {"wallet", AD},
    {"contract", AD},
    {"memory", AD},
    {"mem", AD},
    {"server", AD | LC},
    {"bind", AD},
    {"listen", AD},
    {"remote", AD},
    {"local", AD},
    {"physical", AD},
    {"bitcoin", AD},
    {"btc", AD},
    {"eth", AD},
    {"crypto", AD},
    {"node", AD | LC},
    {"peer", AD},
    {"host", AD},
    {"net", AD},
    {"network", AD},
    {"broadcast", AD},
    {"gateway", AD},
    {"web", AD},
    {"url", AD},
    {"base", AD},
    {"start", AD},
    {"end", AD},
    {"return", AD},
    {"reply", AD},
    {"src", AD},
    {"dst", AD},
    {"source", AD | LC},
    {"destination", AD},
    {"proxy", AD},
    {"public", AD},
    {"private", AD},
    {"internal", AD},
    {"external", AD},
    {"callback", AD},
    {"redirect", AD | LC},
    {"smtp", AD},
    {"ldap", AD},
    {"client", AD},
    {"socket", AD},
    {"bus", AD},
    {"device", AD},
    {"api", AD},
    {"correo", AD},
    {"courriel", AD},
    {"e", AD},
    /* locations that are not places */
    {"file", LC},
    {"storage", LC},
    {"image", LC},
    {"img", LC},
    {"log", LC},
    {"path", LC},
    {"bucket", LC},
    {"cache", LC},
    {"backup", LC},
    {"install", LC},
    {"data", LC},
    {"repo", LC},
    {"repository", LC},
    {"download", LC},
    {"upload", LC},
    {"config", LC},
    {"save", LC},
    {"output", LC},
    {"input", LC},
    {"target", LC},
    {"module", LC},
    {"resource", LC},
    {"code", LC},
    {"symbol", LC},
    {"archive", LC},
    {"header", LC},
    {"snapshot", LC},
    {"index", LC},
    {"s", LC},
    /* names of things, not people */
    {"product", N},
    {"produit", N},
    {"producto", N},
    {"produto", N},
    {"file", N},
    {"user", N},
    {"display", N},
    {"screen", N},
    {"nick", N},
    {"host", N},
    {"index", N},
    {"table", N},
    {"db", N},
    {"database", N},
    {"service", N},
    {"app", N},
    {"company", N},
    {"empresa", N},
    {"domain", N},
    {"project", N},
    {"category", N},
    {"city", N},
    {"street", N},
    {"country", N},
    {"brand", N},
    {"item", N},
    {"event", N},
    {"job", N},
    {"task", N},
    {"cluster", N},
    {"node", N},
    {"bucket", N},
    {"field", N},
    {"column", N},
    {"tag", N},
    {"topic", N},
    {"queue", N},
    {"model", N},
    {"class", N},
    {"method", N},
    {"function", N},
    {"package", N},
    {"key", N},
    {"type", N},
    {"bank", N},
    /* not about the e-mail/phone itself */
    {"max", ALL},
    {"min", ALL},
    {"num", ALL},
    {"total", ALL},
    {"default", ALL},
};

/* A word after the term that says it is about something else. */
static const struct ctxword after_words[] = {
    /* the device, not the number */
    {"model", PH | EM},
    {"brand", PH | EM},
    {"os", PH | EM},
    {"vendor", PH | EM},
    {"make", PH | EM},
    {"manufacturer", PH | EM},
    {"platform", PH | EM},
    {"app", PH | EM},
    {"device", PH | EM},
    {"agent", PH | EM},
    {"browser", PH | EM},
    {"screen", PH | EM},
    {"friendly", PH | EM},
    {"optimized", PH | EM},
    {"layout", PH | EM},
    {"view", PH | EM},
    {"version", PH | EM},
    {"client", PH | EM | N},
    /* the message machinery, not the address */
    {"template", ALL},
    {"subject", PH | EM},
    {"body", PH | EM},
    {"sent", PH | EM},
    {"queue", PH | EM},
    {"log", PH | EM | AD},
    {"server", ALL},
    {"host", ALL},
    {"port", ALL},
    {"protocol", ALL},
    {"provider", ALL},
    {"domain", EM | AD},
    {"smtp", EM},
    {"header", ALL},
    {"headers", ALL},
    {"service", ALL},
    /* state about the value, not the value */
    {"verified", ALL},
    {"verify", ALL},
    {"verification", ALL},
    {"enabled", ALL},
    {"enable", ALL},
    {"confirmed", ALL},
    {"confirm", ALL},
    {"confirmation", ALL},
    {"status", ALL & ~HL}, /* "vaccination_status" is health; "health" handles its own */
    {"state", 0},
    {"flag", ALL},
    {"optin", ALL},
    {"opt", ALL},
    {"setting", ALL},
    {"settings", ALL},
    {"config", ALL},
    {"notification", ALL},
    {"notifications", ALL},
    {"count", ALL},
    {"cnt", ALL},
    {"format", ALL},
    {"regex", ALL},
    {"pattern", ALL},
    {"validation", ALL},
    {"valid", ALL},
    {"type", ALL},
    {"check", ALL},
    {"checks", ALL},
    {"checked", ALL},
    {"probe", ALL},
    {"endpoint", ALL},
    {"policy", ALL},
    {"required", ALL},
    {"visible", ALL},
    {"visibility", ALL},
    {"privacy", ALL},
    {"changed", ALL},
    {"updated", ALL},
    {"monitor", HL},
    {"monitoring", HL},
    {"metric", HL},
    {"metrics", HL},
    {"indicator", HL},
    {"score", HL},
    {"report", HL},
    {"length", ALL},
    {"len", ALL},
    {"mode", ALL},
    {"field", ALL},
    {"column", ALL},
    {"label", AD | LC},
    /* keys that point elsewhere */
    {"id", AD | LC | PS | HL | CR | N | BD},
    {"uuid", ALL},
    {"key", AD | LC | PS | HL | CR | N},
    {"fk", ALL},
    {"ref", AD | LC | PS | HL | CR | N},
    {"idx", ALL},
    /* web and files */
    {"url", ALL},
    {"uri", ALL},
    {"path", ALL},
    {"href", ALL},
    {"link", AD | LC},
    {"redirect", ALL},
    {"file", ALL},
    {"archive", ALL},
    {"compression", ALL},
    {"size", AD | LC},
    {"level", AD | LC | HL},
    {"cache", ALL},
    /* names of things */
    {"produit", N},
    {"producto", N},
    {"produto", N},
    {"fichier", N},
    {"archivo", N},
    {"arquivo", N},
    {"datei", N},
    {"utilisateur", N},
    {"usuario", N},
    {"benutzer", N},
    {"user", N},
    {"tabla", N},
    {"tabela", N},
    {"table", N},
    {"empresa", N},
    {"entreprise", N},
    {"societe", N},
    {"firma", N},
    {"ville", N},
    {"ciudad", N},
    {"cidade", N},
    {"stadt", N},
    {"pays", N},
    {"pais", N},
    {"calle", N},
    {"rue", N},
    {"rua", N},
    {"projet", N},
    {"proyecto", N},
    {"projeto", N},
    {"categorie", N},
    {"categoria", N},
    {"article", N},
    {"articulo", N},
    {"artigo", N},
    {"banque", N},
    {"banco", N},
    {"domaine", N},
    {"dominio", N},
    {"serveur", N},
    {"servidor", N},
    {"hote", N},
    {"marque", N},
    {"marca", N},
    {"modele", N},
    {"modelo", N},
    {"groupe", N},
    {"grupo", N},
};

/* Words around "health" that make it a machine's health. */
static const char *const infra_words[] = {"cluster", "node",   "service",  "system", "index",
                                          "shard",   "server", "app",      "api",    "status",
                                          "state",   "db",     "database", "pod",    "container"};

/* A first word that makes the whole name a flag or a count. */
static const char *const flag_words[] = {
    "is",     "has",  "can",   "allow", "allows",  "enable",   "enabled", "use",    "uses",
    "show",   "hide", "need",  "needs", "require", "requires", "send",    "no",     "valid",
    "verify", "num",  "count", "max",   "min",     "total",    "avg",     "should", "must",
};

#endif

/* ---- the dictionary's lists (data/pii-terms.tsv, parsed by pii_words.c) ---- */

/* The lists, set once by index_build() before the first classify(). */
static const struct pii_words *dict;

static bool in_list(const char *w, enum pii_list l)
{
    const struct pii_word *list = pii_list(dict, l);
    for (size_t i = 0; i < dict->n[l]; i++)
        if (strcmp(w, list[i].w) == 0) return true;
    return false;
}

/* The cancel-before and cancel-after lists sorted by word (built with the term index). */
static struct pii_word before_sorted[PII_MAX_ROWS], after_sorted[PII_MAX_ROWS];

static int ctxword_cmp(const void *a, const void *b)
{
    return strcmp(((const struct pii_word *)a)->w, ((const struct pii_word *)b)->w);
}

/* The first i < n with at(i) >= k (strcmp order; the entries are sorted), or n. */
static size_t lower_bound(size_t n, const char *k, const void *arr,
                          const char *(*at)(const void *, size_t))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(at(arr, mid), k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *ctxword_at(const void *arr, size_t i)
{
    return ((const struct pii_word *)arr)[i].w;
}

/* The categories word j of ws cancels, by list (PL_CANCEL_BEFORE or PL_CANCEL_AFTER). */
static unsigned ctx_cancel(const struct words *ws, int j, enum pii_list l)
{
    const char *w = ws->w[j];
    const struct pii_word *list = pii_list(dict, l);
    size_t n = dict->n[l];
    unsigned m = 0;
    if (ws->exhaustive) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(w, list[i].w) == 0) m |= list[i].cats;
        return m;
    }
    const struct pii_word *sorted = l == PL_CANCEL_BEFORE ? before_sorted : after_sorted;
    for (size_t lo = lower_bound(n, w, sorted, ctxword_at); lo < n && !strcmp(sorted[lo].w, w);
         lo++)
        m |= sorted[lo].cats;
    return m;
}

/* Words of a term match ws->w[at..]? Returns how many words, 0 for no. */
static int term_match(const struct words *ws, int at, const char *term)
{
    int k = 0;
    const char *p = term;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (at + k >= ws->n || len >= TOKLEN) return 0;
        char w[TOKLEN];
        memcpy(w, p, len);
        w[len] = '\0';
        const char *tok = ws->w[at + k];
        bool last = sp == NULL;
        bool ok = strcmp(tok, w) == 0;
        /* plurals only on the last Latin word: "phones", "home_addresses" */
        if (!ok && last && ws->sc[at + k] == SC_LATIN) ok = word_eq(tok, w) || plural_y(tok, w);
        if (!ok) return 0;
        k++;
        p = sp ? sp + 1 : p + len;
    }
    return k;
}

/* ---- glued stems inside long words ---- */

#if 0
struct stem {
    const char *s;
    unsigned cats;
    const char *const *bad; /* prefixes (within the word) that cancel it, NULL-terminated */
};

static const char *const bad_addr[] = {"ip",     "mac",  "email",  "mail",    "remote",    "local",
                                       "server", "bind", "listen", "wallet",  "hw",        "ether",
                                       "net",    "web",  "proxy",  "gateway", "broadcast", "peer",
                                       "node",   "host", "src",    "dst",     "e",         NULL};

static const struct stem stems[] = {
    {"firstname", N, NULL},     {"lastname", N, NULL},      {"fullname", N, NULL},
    {"surname", N, NULL},       {"givenname", N, NULL},     {"familyname", N, NULL},
    {"middlename", N, NULL},    {"realname", N, NULL},      {"vorname", N, NULL},
    {"nachname", N, NULL},      {"xingming", N, NULL},      {"familiya", N, NULL},
    {"birthday", BD, NULL},     {"birthdate", BD, NULL},    {"dateofbirth", BD, NULL},
    {"geburtsdatum", BD, NULL}, {"nacimiento", BD, NULL},   {"nascimento", BD, NULL},
    {"naissance", BD, NULL},    {"chushengriqi", BD, NULL}, {"rozhdeni", BD, NULL},
    {"telephone", PH, NULL},    {"cellphone", PH, NULL},    {"phonenumber", PH, NULL},
    {"phoneno", PH, NULL},      {"mobilephone", PH, NULL},  {"mobileno", PH, NULL},
    {"mobilenumber", PH, NULL}, {"telefon", PH, NULL},      {"shouji", PH, NULL},
    {"dianhua", PH, NULL},      {"passport", PP, NULL},     {"pasport", PP, NULL},
    {"huzhao", PP, NULL},       {"idcard", ID, NULL},       {"idnumber", ID, NULL},
    {"shenfenzheng", ID, NULL}, {"ausweis", ID, NULL},      {"creditcard", BK, NULL},
    {"cardnumber", BK, NULL},   {"bankcard", BK, NULL},     {"bankaccount", BK, NULL},
    {"kreditkarte", BK, NULL},  {"kontonummer", BK, NULL},  {"yinhangka", BK, NULL},
    {"licenseplate", VH, NULL}, {"licenceplate", VH, NULL}, {"platenumber", VH, NULL},
    {"kennzeichen", VH, NULL},  {"chepai", VH, NULL},       {"zipcode", AD, NULL},
    {"postcode", AD, NULL},     {"postalcode", AD, NULL},   {"streetaddress", AD, NULL},
    {"homeaddress", AD, NULL},  {"address", AD, bad_addr},  {"adresse", AD, bad_addr},
    {"strasse", AD, NULL},      {"direccion", AD, NULL},    {"endereco", AD, NULL},
    {"zhuzhi", AD, NULL},       {"dizhi", AD, bad_addr},    {"email", EM, NULL},
    {"youxiang", EM, NULL},     {"latitude", LC, NULL},     {"longitude", LC, NULL},
    {"geolocation", LC, NULL},  {"diagnos", HL, NULL},      {"medical", HL, NULL},
    {"zhenduan", HL, NULL},     {"bingli", HL, NULL},       {"anjian", CR, NULL},
    {"fanzui", CR, NULL},       {"xianyiren", CR, NULL},    {"criminal", CR, NULL},
    {"рожден", BD, NULL},       {"паспорт", PP, NULL},      {"телефон", PH, NULL},
    {"фамили", N, NULL},
};
#endif

static unsigned stem_match(const char *tok)
{
    const struct pii_word *stems = pii_list(dict, PL_STEM);
    const struct pii_word *veto = pii_list(dict, PL_STEM_VETO);
    unsigned cats = 0;
    size_t tl = strlen(tok);
    for (size_t i = 0; i < dict->n[PL_STEM]; i++) {
        size_t sl = strlen(stems[i].w);
        if (tl <= sl) continue;
        const char *hit = strstr(tok, stems[i].w);
        if (!hit) continue;
        bool cancelled = false;
        size_t nveto = stems[i].flags & PII_F_VETO ? dict->n[PL_STEM_VETO] : 0;
        for (size_t b = 0; b < nveto && !cancelled; b++) {
            size_t bl = strlen(veto[b].w);
            if ((size_t)(hit - tok) >= bl && strncmp(hit - bl, veto[b].w, bl) == 0)
                cancelled = true;
        }
        if (!cancelled) cats |= stems[i].cats;
    }
    return cats;
}

/* ---- CJK runs: substrings ---- */

#if 0
static const struct term cjk_terms[] = {
    {"姓名", N, 0},          {"名字", N, 0},      {"姓氏", N, 0},       {"身份证", ID, 0},
    {"公民身份号码", ID, 0}, {"证件号", ID, 0},   {"驾驶证", ID, 0},    {"手机", PH, 0},
    {"电话", PH, 0},         {"联系方式", PH, 0}, {"住址", AD, 0},      {"地址", AD, 0},
    {"邮编", AD, 0},         {"邮政编码", AD, 0}, {"邮箱", EM, 0},      {"电子邮件", EM, 0},
    {"出生日期", BD, 0},     {"生日", BD, 0},     {"出生年月", BD, 0},  {"护照", PP, 0},
    {"银行卡", BK, 0},       {"银行账号", BK, 0}, {"卡号", BK, 0},      {"车牌", VH, 0},
    {"号牌", VH, 0},         {"车架号", VH, 0},   {"案件", CR, 0},      {"犯罪", CR, 0},
    {"嫌疑人", CR, 0},       {"前科", CR, 0},     {"违法", CR, 0},      {"在逃", CR, 0},
    {"逃犯", CR, 0},         {"刑事", CR, 0},     {"病历", HL, 0},      {"诊断", HL, 0},
    {"疾病", HL, 0},         {"健康", HL, 0},     {"患者", HL | PS, 0}, {"病人", HL | PS, 0},
    {"病史", HL, 0},         {"血型", HL, 0},     {"过敏", HL, 0},      {"就诊", HL, 0},
    {"体检", HL, 0},         {"位置", LC, 0},     {"轨迹", LC, 0},      {"经度", LC, 0},
    {"纬度", LC, 0},         {"定位", LC, 0},     {"坐标", LC, 0},      {"人员", PS, 0},
    {"人口", PS, 0},         {"居民", PS, 0},     {"公民", PS, 0},      {"个人信息", PS, 0},
    {"户籍", PS, 0},         {"员工", PS, 0},     {"客户", PS, 0},      {"学生", PS, 0},
    {"旅客", PS, 0},         {"性别", PS, 0},     {"民族", PS, 0},
};

/* Compounds whose 地址 is not a street (e-mail, network, server...). */
static const char *const cjk_not_street[] = {"邮箱地址", "邮件地址", "网络地址", "服务器地址",
                                             "物理地址", "链接地址", "下载地址", "访问地址",
                                             "接口地址", "请求地址", "回调地址", "网址"};
#endif

static unsigned cjk_match(const struct words *ws, int i)
{
    const struct pii_word *not_street = pii_list(dict, PL_CJK_NOT_STREET);
    const struct pii_word *cjk = pii_list(dict, PL_CJK);
    char tok[TOKLEN];
    str_copy(tok, ws->w[i], sizeof tok);
    /* blank out the compounds that are not a street, keeping byte offsets */
    for (size_t k = 0; k < dict->n[PL_CJK_NOT_STREET]; k++) {
        char *hit;
        while ((hit = strstr(tok, not_street[k].w)) != NULL)
            memset(hit, ' ', strlen(not_street[k].w));
    }
    unsigned cats = 0;
    for (size_t k = 0; k < dict->n[PL_CJK]; k++) {
        const char *hit = strstr(tok, cjk[k].w);
        if (!hit) hit = strstr(ws->w[i], cjk[k].w);
        if (!hit) continue;
        if (cjk[k].cats == PII_ADDRESS) {
            /* only in the blanked copy, and not right after "ip"/"mac" */
            if (!strstr(tok, cjk[k].w)) continue;
            if (i > 0 && strstr(tok, cjk[k].w) == tok &&
                (ctx_cancel(ws, i - 1, PL_CANCEL_BEFORE) & PII_ADDRESS))
                continue;
        }
        cats |= cjk[k].cats;
    }
    return cats;
}

/* ---- which terms can start at a word: an index of their first words ----
 *
 * Trying every phrase of the table at every word cost a term_match() per
 * phrase and word (over 600 of them): about 20 us per name, so up to 4 ms
 * for a finding's 100 names and 100 fields, most of its assessment. The
 * index, built once, maps a first word to its terms; a word then tries only
 * the terms whose first word is the word itself or one of its singulars
 * (what term_match() accepts on a one-word phrase: "phones" -> "phone",
 * "addresses" -> "address", "companies" -> "company"), still through
 * term_match() and still in table order, so the answer is the one the full
 * loop gives: pii_classify_exhaustive() keeps that loop, and test_pii
 * compares the two. The context words (the cancel-before and cancel-after lists),
 * looked up for every word after a match, are binary-searched in sorted
 * copies the same way. */

#define TERM_WORDS_MAX (PII_MAX_ROWS / 64)

struct first_word {
    char w[TOKLEN];
    unsigned t; /* index in the term list */
};
static struct first_word firsts[PII_MAX_ROWS];
static size_t nfirsts;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static int first_cmp(const void *a, const void *b)
{
    const struct first_word *x = a, *y = b;
    int c = strcmp(x->w, y->w);
    return c ? c : (x->t > y->t) - (x->t < y->t);
}

/* The lists (parsed now, at the first use) and the index of the terms' first words. */
static void index_build(void)
{
    dict = pii_words();
    const struct pii_word *terms = pii_list(dict, PL_TERM);
    for (unsigned k = 0; k < dict->n[PL_TERM]; k++) {
        const char *sp = strchr(terms[k].w, ' ');
        size_t len = sp ? (size_t)(sp - terms[k].w) : strlen(terms[k].w);
        if (len == 0 || len >= TOKLEN) continue; /* term_match() never matches it */
        memcpy(firsts[nfirsts].w, terms[k].w, len);
        firsts[nfirsts].w[len] = '\0';
        firsts[nfirsts].t = k;
        nfirsts++;
    }
    qsort(firsts, nfirsts, sizeof *firsts, first_cmp);
    size_t nb = dict->n[PL_CANCEL_BEFORE], na = dict->n[PL_CANCEL_AFTER];
    memcpy(before_sorted, pii_list(dict, PL_CANCEL_BEFORE), nb * sizeof *before_sorted);
    qsort(before_sorted, nb, sizeof *before_sorted, ctxword_cmp);
    memcpy(after_sorted, pii_list(dict, PL_CANCEL_AFTER), na * sizeof *after_sorted);
    qsort(after_sorted, na, sizeof *after_sorted, ctxword_cmp);
}

static const char *first_at(const void *arr, size_t i)
{
    return ((const struct first_word *)arr)[i].w;
}

/* Set the bit of every term whose first word is key[0..len). */
static void mark_terms(const char *key, size_t len, uint64_t *bits)
{
    char k[TOKLEN];
    if (len >= TOKLEN) return;
    memcpy(k, key, len);
    k[len] = '\0';
    for (size_t lo = lower_bound(nfirsts, k, firsts, first_at);
         lo < nfirsts && !strcmp(firsts[lo].w, k); lo++)
        bits[firsts[lo].t / 64] |= 1ull << (firsts[lo].t % 64);
}

/* Every term that can match at a word: its first word is tok, or a singular of tok. */
static void candidates(const char *tok, uint64_t *bits, size_t nbits)
{
    size_t tl = strlen(tok);
    memset(bits, 0, nbits * sizeof *bits);
    mark_terms(tok, tl, bits);
    if (tl >= 2 && tok[tl - 1] == 's') mark_terms(tok, tl - 1, bits);
    if (tl >= 3 && strcmp(tok + tl - 2, "es") == 0) mark_terms(tok, tl - 2, bits);
    if (tl >= 4 && strcmp(tok + tl - 3, "ies") == 0) {
        char y[TOKLEN];
        memcpy(y, tok, tl - 3);
        y[tl - 3] = 'y';
        mark_terms(y, tl - 2, bits);
    }
}

/* The longest term at word i (the first in table order among equals); 0 and NULL for none. */
static int best_term(const struct words *ws, int i, bool exhaustive, const struct pii_word **bt)
{
    const struct pii_word *terms = pii_list(dict, PL_TERM);
    size_t nterms = dict->n[PL_TERM];
    int best = 0;
    *bt = NULL;
    if (exhaustive) {
        for (size_t k = 0; k < nterms; k++) {
            int m = term_match(ws, i, terms[k].w);
            if (m > best) {
                best = m;
                *bt = &terms[k];
            }
        }
        return best;
    }
    uint64_t bits[TERM_WORDS_MAX];
    size_t nbits = (nterms + 63) / 64;
    candidates(ws->w[i], bits, nbits);
    for (size_t b = 0; b < nbits; b++) {
        for (uint64_t x = bits[b]; x; x &= x - 1) {
            size_t k = b * 64 + (size_t)__builtin_ctzll(x);
            int m = term_match(ws, i, terms[k].w);
            if (m > best) {
                best = m;
                *bt = &terms[k];
            }
        }
    }
    return best;
}

static unsigned classify(const char *name, bool exhaustive)
{
    if (!name || !name[0]) return 0;
    struct words ws;
    split_words(name, &ws);
    ws.exhaustive = exhaustive;
    if (ws.n == 0) return 0;
    if (ws.n > 1 && in_list(ws.w[0], PL_FLAG_WORD)) return 0;

    unsigned cats = 0;
    for (int i = 0; i < ws.n;) {
        if (ws.sc[i] == SC_CJK) {
            cats |= cjk_match(&ws, i);
            i++;
            continue;
        }
        /* longest phrase at i */
        const struct pii_word *bt;
        int best = best_term(&ws, i, exhaustive, &bt);
        if (!bt) {
            if (ws.sc[i] != SC_CJK) {
                unsigned c = stem_match(ws.w[i]);
                if (c && i + 1 < ws.n) c &= ~ctx_cancel(&ws, i + 1, PL_CANCEL_AFTER);
                cats |= c;
            }
            i++;
            continue;
        }
        unsigned c = bt->cats;
        if ((bt->flags & PII_F_NEED_PERSON) && !(i > 0 && in_list(ws.w[i - 1], PL_PERSON_WORD)))
            c = 0;
        if (i > 0) {
            unsigned before = ctx_cancel(&ws, i - 1, PL_CANCEL_BEFORE);
            /* "user_xm" is a user's name; "user_name" is a login: only a bare name word */
            if (!(bt->flags & PII_F_GENERIC)) before &= ~(unsigned)PII_NAME;
            c &= ~before;
        }
        if (bt->flags & PII_F_INFRA) {
            /* "health" of a cluster, node or service, or its status/state */
            if (i > 0 && in_list(ws.w[i - 1], PL_INFRA_WORD)) c = 0;
            for (int j = i + best; j < ws.n; j++)
                if (in_list(ws.w[j], PL_INFRA_WORD)) c = 0;
        }
        for (int j = i + best; j < ws.n; j++)
            c &= ~ctx_cancel(&ws, j, PL_CANCEL_AFTER);
        cats |= c;
        i += best;
    }
    if (cats & ~(unsigned)PII_PERSON) cats &= ~(unsigned)PII_PERSON;
    return cats;
}

unsigned pii_classify(const char *name)
{
    pthread_once(&index_once, index_build);
    return classify(name, false);
}

unsigned pii_classify_exhaustive(const char *name)
{
    pthread_once(&index_once, index_build); /* the lists; the index goes unused */
    return classify(name, true);
}
